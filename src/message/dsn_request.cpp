#include "message/dsn_request.hpp"

#include <algorithm>
#include <array>

#include "base/ascii_case.hpp"

namespace herald::message {

namespace {

// RFC 3461 4.2 and 4.4: ORCPT's value is at most 500 characters, ENVID's 100; what decodes
// longer than 500 is refused here, and ENVID's own limit is the parser's.
constexpr std::size_t kMaxDecoded = 500;

bool xchar(unsigned char c) {
    return c >= '!' && c <= '~' && c != '+' && c != '=';
}

constexpr std::array<std::pair<std::string_view, RecipientDsn::Notify>, 3> kNotifyWords{{
    {"SUCCESS", RecipientDsn::success},
    {"FAILURE", RecipientDsn::failure},
    {"DELAY", RecipientDsn::delay},
}};

}  // namespace

std::optional<std::string> decode_xtext(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '+') {
            // Upper-case hex only (RFC 3461 4), but lower case is accepted as Postfix does.
            const auto octet = hex_octet(text, i + 1);
            if (!octet) return std::nullopt;
            out.push_back(*octet);
            i += 2;
        } else if (xchar(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            return std::nullopt;
        }
        if (out.size() > kMaxDecoded) return std::nullopt;
    }
    return out;
}

std::string encode_xtext(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (xchar(c)) {
            out.push_back(ch);
        } else {
            out += {'+', kHex[c >> 4], kHex[c & 0xf]};
        }
    }
    return out;
}

std::optional<std::uint8_t> parse_notify(std::string_view text) {
    if (equals_ignoring_case(text, "NEVER")) return std::uint8_t{0};
    std::uint8_t bits = 0;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t comma = text.find(',', at);
        if (comma == std::string_view::npos) comma = text.size();
        const std::string_view word = text.substr(at, comma - at);
        bool known = false;
        for (const auto& [name, bit] : kNotifyWords) {
            if (!equals_ignoring_case(word, name)) continue;
            if (bits & bit) return std::nullopt;
            bits |= bit;
            known = true;
        }
        if (!known) return std::nullopt;
        at = comma + 1;
    }
    return bits;
}

std::string notify_text(std::uint8_t notify) {
    if (notify == 0) return "NEVER";
    std::string out;
    for (const auto& [name, bit] : kNotifyWords) {
        if (notify & bit) out += (out.empty() ? "" : ",") + std::string(name);
    }
    return out;
}

std::optional<std::string> parse_orcpt(std::string_view text) {
    const auto semicolon = text.find(';');
    if (semicolon == 0 || semicolon == std::string_view::npos) return std::nullopt;
    const std::string_view type = text.substr(0, semicolon);
    for (char c : type) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-') return std::nullopt;
    }
    auto address = decode_xtext(text.substr(semicolon + 1));
    if (!address || address->empty()) return std::nullopt;
    if (std::any_of(address->begin(), address->end(),
                    [](char c) { return static_cast<unsigned char>(c) < ' ' || c == 0x7f; })) {
        return std::nullopt;
    }
    return std::string(type) + ";" + *address;
}

std::optional<std::string> parse_envelope_id(std::string_view text) {
    auto id = decode_xtext(text);
    if (!id || id->empty() || id->size() > 100 ||
        !std::all_of(id->begin(), id->end(), [](char c) { return c >= ' ' && c <= '~'; })) {
        return std::nullopt;
    }
    return id;
}

std::optional<std::string> parse_plain_envelope_id(std::string_view text) {
    return parse_envelope_id(encode_xtext(text));
}

std::string_view dsn_return_text(DsnReturn ret) {
    switch (ret) {
        case DsnReturn::full:
            return "FULL";
        case DsnReturn::headers:
            return "HDRS";
        case DsnReturn::unspecified:
            break;
    }
    return "";
}

std::optional<DsnReturn> parse_dsn_return(std::string_view text) {
    if (equals_ignoring_case(text, "FULL")) return DsnReturn::full;
    if (equals_ignoring_case(text, "HDRS")) return DsnReturn::headers;
    return std::nullopt;
}

}  // namespace herald::message
