#pragma once
// Case-insensitive ASCII comparison: SMTP verbs, parameters and mechanism names are
// case-insensitive (RFC 5321 2.4), and locale rules must not apply to them.
#include <algorithm>
#include <string_view>

namespace herald::smtp {

inline char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

inline bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equals_ignoring_case(s.substr(0, prefix.size()), prefix);
}

}  // namespace herald::smtp
