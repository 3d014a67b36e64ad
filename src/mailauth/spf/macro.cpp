#include "mailauth/spf/macro.hpp"

#include <algorithm>
#include <vector>

#include "base/ascii_case.hpp"

namespace herald::mailauth::spf {
namespace {

// A record or explanation expanding past this is hostile ("%{s}" thousands of times); a
// real one stays far below.
constexpr std::size_t kMaxExpansion = 8192;
constexpr std::size_t kMaxDomainLength = 253;

struct Macro {
    char letter = 0;          // lower case
    bool url_escape = false;  // the letter was upper case (7.3)
    std::size_t keep = 0;     // rightmost parts to keep; 0: all
    bool reverse = false;
    std::string_view delimiters = ".";
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

bool is_letter_allowed(char letter, MacroUse use) {
    static constexpr std::string_view everywhere = "slodiphv";
    static constexpr std::string_view explanation_only = "crt";
    return everywhere.find(letter) != std::string_view::npos ||
           (use == MacroUse::explanation &&
            explanation_only.find(letter) != std::string_view::npos);
}

// Parses "{" macro-letter transformers *delimiter "}" at text[pos] (pos just after '%').
Result<Macro> parse_macro(std::string_view text, std::size_t& pos, MacroUse use) {
    static constexpr std::string_view delimiter_chars = ".-+,/_=";
    Macro macro;
    ++pos;  // '{'
    if (pos >= text.size()) return Error{"unterminated macro"};
    const char letter = text[pos++];
    macro.letter = ascii_lower(letter);
    macro.url_escape = letter != macro.letter;
    if (!is_letter_allowed(macro.letter, use)) {
        return Error{"macro letter '" + std::string(1, letter) + "' not allowed here"};
    }
    const std::size_t digits_start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
        // More parts than a name can have (127) mean all of them; stop the number growing.
        macro.keep = std::min<std::size_t>(
            macro.keep * 10 + static_cast<std::size_t>(text[pos] - '0'), 1000);
        ++pos;
    }
    // 7.3: "If a DIGIT is specified, the value MUST be nonzero."
    if (pos > digits_start && macro.keep == 0) return Error{"macro keeps zero parts"};
    if (pos < text.size() && ascii_lower(text[pos]) == 'r') {
        macro.reverse = true;
        ++pos;
    }
    const std::size_t delimiters_start = pos;
    while (pos < text.size() && delimiter_chars.find(text[pos]) != std::string_view::npos) ++pos;
    if (pos > delimiters_start)
        macro.delimiters = text.substr(delimiters_start, pos - delimiters_start);
    if (pos >= text.size() || text[pos] != '}') return Error{"malformed macro"};
    ++pos;
    return macro;
}

// Walks a macro-string, handing literal text and macros to the callbacks (7.1 grammar).
template <typename OnLiteral, typename OnMacro>
Status walk(std::string_view text, MacroUse use, OnLiteral&& on_literal, OnMacro&& on_macro) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const char c = text[pos];
        if (c != '%') {
            // macro-literal = %x21-24 / %x26-7E; explain-string adds SP.
            const bool space_ok = use == MacroUse::explanation && c == ' ';
            if (!space_ok && (c < 0x21 || c > 0x7e))
                return Error{"character not allowed in a macro-string"};
            on_literal(text.substr(pos, 1));
            ++pos;
            continue;
        }
        if (pos + 1 >= text.size()) return Error{"'%' at the end of a macro-string"};
        const char next = text[pos + 1];
        if (next == '%' || next == '_' || next == '-') {
            on_literal(next == '%' ? "%" : next == '_' ? " " : "%20");
            pos += 2;
            continue;
        }
        if (next != '{') return Error{"'%' not followed by '{', '%', '_' or '-'"};
        ++pos;
        auto macro = parse_macro(text, pos, use);
        if (!macro) return Error{macro.error()};
        on_macro(*macro);
    }
    return Done{};
}

bool is_toplabel(std::string_view label) {
    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    bool alpha = false, hyphen = false;
    for (const char c : label) {
        if (c == '-')
            hyphen = true;
        else if (is_alpha(c))
            alpha = true;
        else if (!is_digit(c))
            return false;
    }
    return alpha || hyphen;
}

std::string url_escape(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 0x0f];
        }
    }
    return out;
}

std::string_view value_of(char letter, const MacroValues& values, std::string& scratch) {
    switch (letter) {
        case 's':
            return values.sender;
        case 'l':
            return values.local_part;
        case 'o':
            return values.sender_domain;
        case 'd':
            return values.domain;
        case 'i':
            return scratch = values.ip.dotted();
        case 'p':
            return values.validated_name;
        case 'v':
            return values.ip.is_v4() ? "in-addr" : "ip6";
        case 'h':
            return values.helo;
        case 'c':
            return scratch = values.ip.to_string();
        case 'r':
            return values.receiver;
        case 't':
            return values.timestamp;
        default:
            return {};
    }
}

// 7.3: split on the delimiters, reverse if asked, keep the rightmost parts, join with dots.
std::string transform(std::string_view value, const Macro& macro) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        if (i == value.size() || macro.delimiters.find(value[i]) != std::string_view::npos) {
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    if (macro.reverse) std::reverse(parts.begin(), parts.end());
    const std::size_t first =
        macro.keep == 0 || macro.keep >= parts.size() ? 0 : parts.size() - macro.keep;
    std::string out;
    for (std::size_t i = first; i < parts.size(); ++i) {
        if (i > first) out += '.';
        out += parts[i];
    }
    return macro.url_escape ? url_escape(out) : out;
}

// 7.3: drop leftmost labels until the name fits in 253 characters.
std::string truncated_domain(std::string name) {
    if (name.ends_with('.')) name.pop_back();
    while (name.size() > kMaxDomainLength) {
        const auto dot = name.find('.');
        if (dot == std::string::npos) return name.substr(name.size() - kMaxDomainLength);
        name.erase(0, dot + 1);
    }
    return name;
}

}  // namespace

Status check_macro_string(std::string_view text, MacroUse use) {
    return walk(
        text, use, [](std::string_view) {}, [](const Macro&) {});
}

Status check_domain_spec(std::string_view text) {
    if (text.empty()) return Error{"empty domain-spec"};
    if (auto checked = check_macro_string(text, MacroUse::domain); !checked) return checked;
    // domain-end = ( "." toplabel [ "." ] ) / macro-expand; a trailing dot is let pass
    // after a macro too, as it means the same name.
    std::string_view spec = text;
    if (spec.ends_with('.')) spec.remove_suffix(1);
    bool ends_in_macro = false;
    (void)walk(
        spec, MacroUse::domain, [&](std::string_view) { ends_in_macro = false; },
        [&](const Macro&) { ends_in_macro = true; });
    if (ends_in_macro) return Done{};
    const auto dot = spec.rfind('.');
    if (dot == std::string_view::npos) {
        return Error{"domain-spec '" + std::string(text) + "' has no top-level label"};
    }
    if (!is_toplabel(spec.substr(dot + 1))) {
        return Error{"domain-spec '" + std::string(text) + "' has a bad top-level label"};
    }
    return Done{};
}

bool uses_macro(std::string_view text, char letter) {
    bool found = false;
    const Status walked = walk(
        text, MacroUse::explanation, [](std::string_view) {},
        [&](const Macro& macro) { found = found || macro.letter == ascii_lower(letter); });
    return walked.ok() && found;
}

Result<std::string> expand(std::string_view text, const MacroValues& values, MacroUse use) {
    std::string out;
    std::string scratch;
    bool too_long = false;
    auto append = [&](std::string_view piece) {
        if (out.size() + piece.size() > kMaxExpansion) too_long = true;
        if (!too_long) out += piece;
    };
    auto walked = walk(text, use, append, [&](const Macro& macro) {
        append(transform(value_of(macro.letter, values, scratch), macro));
    });
    if (!walked) return Error{walked.error()};
    if (too_long) return Error{"macro expansion too long"};
    if (use == MacroUse::domain) return truncated_domain(std::move(out));
    return out;
}

}  // namespace herald::mailauth::spf
