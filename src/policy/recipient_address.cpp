#include "policy/recipient_address.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "config/value_formats.hpp"

namespace herald::policy {

namespace {

constexpr std::size_t kMaxPathLength = 256;      // RFC 5321 4.5.3.1.3
constexpr std::size_t kMaxLocalPartLength = 64;  // RFC 5321 4.5.3.1.1

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Letter-digit-hyphen labels separated by dots, or an address literal in brackets.
bool is_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 255) return false;
    if (domain.front() == '[') {
        return domain.back() == ']' && domain.size() > 2 &&
               std::all_of(domain.begin() + 1, domain.end() - 1,
                           [](char c) { return is_alnum(c) || c == '.' || c == ':'; });
    }
    bool label_start = true;
    for (std::size_t i = 0; i < domain.size(); ++i) {
        const char c = domain[i];
        if (c == '.') {
            if (label_start || domain[i - 1] == '-') return false;
            label_start = true;
        } else if (is_alnum(c) || is_non_ascii(c) || (c == '-' && !label_start)) {
            label_start = false;
        } else {
            return false;
        }
    }
    return !label_start && domain.back() != '-';
}

// The quoted string at the start of text (RFC 5321 4.1.2 Quoted-string), unescaped, and
// how many characters it took; nullopt when it does not end.
std::optional<std::pair<std::string, std::size_t>> take_quoted(std::string_view text) {
    std::string content;
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '"') return std::pair{content, i + 1};
        if (text[i] == '\\') {
            if (++i == text.size()) return std::nullopt;
        }
        content += text[i];
    }
    return std::nullopt;
}

std::optional<std::string_view> trick_in(std::string_view local_part) {
    if (local_part.find('@') != std::string_view::npos) return "an '@' in the local part";
    if (local_part.find('%') != std::string_view::npos) return "a percent hack";
    if (local_part.find('!') != std::string_view::npos) return "a bang path";
    return std::nullopt;
}

}  // namespace

Result<RecipientAddress> RecipientAddress::parse(std::string_view address) {
    if (address.empty()) return Error{"empty address"};
    if (address.size() > kMaxPathLength) return Error{"address too long"};
    if (std::any_of(address.begin(), address.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        return Error{"control character in address"};
    }
    RecipientAddress out;
    std::string_view rest = address;
    if (rest.front() == '@') {
        // "@relay1,@relay2:user@domain": the mailbox is after the colon.
        auto colon = rest.find(':');
        if (colon == std::string_view::npos) return Error{"source route without a mailbox"};
        out.trick = "a source route";
        rest.remove_prefix(colon + 1);
        if (rest.empty()) return Error{"source route without a mailbox"};
    }
    std::size_t at;
    if (rest.front() == '"') {
        auto quoted = take_quoted(rest);
        if (!quoted) return Error{"unterminated quoted local part"};
        out.local_part = std::move(quoted->first);
        out.quoted = true;
        at = quoted->second;
        if (at >= rest.size() || rest[at] != '@')
            return Error{"nothing may follow the quotes but @domain"};
    } else {
        at = rest.rfind('@');
        if (at == std::string_view::npos) return Error{"no domain"};
        out.local_part = std::string(rest.substr(0, at));
        if (out.local_part.find_first_of("\" \\") != std::string::npos) {
            return Error{"quote, space or backslash outside a quoted local part"};
        }
    }
    if (out.local_part.empty()) return Error{"empty local part"};
    out.domain = config::ascii_lowercase(rest.substr(at + 1));
    if (!is_domain(out.domain)) return Error{"bad domain"};
    if (!out.trick) out.trick = trick_in(out.local_part);
    return out;
}

bool RecipientAddress::local_part_is_mailbox_name() const {
    return is_mailbox_name(local_part);
}

bool is_mailbox_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxLocalPartLength) return false;
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
    });
}

}  // namespace herald::policy
