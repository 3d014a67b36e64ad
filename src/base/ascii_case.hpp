#pragma once
// Case-insensitive ASCII: SMTP verbs and parameters (RFC 5321 2.4), domain names, DKIM, SPF
// and DMARC tags are compared without regard to ASCII case, and locale rules must not apply.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

inline char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

inline std::string ascii_lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

inline bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equals_ignoring_case(s.substr(0, prefix.size()), prefix);
}

// The value of a hexadecimal digit in either case, or -1.
inline int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The octet that the two hexadecimal digits at text[at] and text[at + 1] write ("%2C",
// "+2B" once past their mark), or nullopt when there are not two such digits.
inline std::optional<char> hex_octet(std::string_view text, std::size_t at) {
    if (at + 1 >= text.size()) return std::nullopt;
    const int high = hex_digit_value(text[at]);
    const int low = hex_digit_value(text[at + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    return static_cast<char>(high * 16 + low);
}

}  // namespace herald
