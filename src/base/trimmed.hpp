#pragma once
// Text without the blanks at either end: the one trim of record values, config lines and
// header parameters.
#include <string_view>

namespace herald {

inline std::string_view trimmed(std::string_view text, std::string_view blanks = " \t\r\n") {
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

}  // namespace herald
