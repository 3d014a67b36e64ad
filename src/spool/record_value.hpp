#pragma once
// Values in spool records are one line each: control bytes (CR, LF, NUL, ...), DEL and '%'
// are written as %XX, everything else as is, so a hostile HELO or address can neither break
// a record nor forge another one, and ordinary values stay greppable.
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald::spool {

std::string escape_record_value(std::string_view value);

// nullopt when the text is not something escape_record_value() could have written.
std::optional<std::string> unescape_record_value(std::string_view text);

// A decimal integer, all of the text and nothing else.
template <typename Int>
std::optional<Int> parse_record_integer(std::string_view text) {
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Times are microseconds since the epoch. Parsing refuses values beyond about the year 2255,
// so that converting a hostile value to the clock's nanoseconds cannot overflow.
std::string encode_record_time(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_record_time(std::string_view text);

}  // namespace herald::spool
