#include "log/log_time.hpp"

#include <charconv>
#include <ctime>

namespace herald::log {
namespace {

// Reads exactly `digits` decimal digits from the front of `text`.
std::optional<int> take_digits(std::string_view& text, std::size_t digits) {
    if (text.size() < digits) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    text.remove_prefix(digits);
    return value;
}

bool take(std::string_view& text, char c) {
    if (text.empty() || text.front() != c) return false;
    text.remove_prefix(1);
    return true;
}

// "Z", "+HH:MM", "+HHMM", "-HH:MM", "-HHMM" or nothing: the offset east of UTC in seconds.
std::optional<long> zone_offset(std::string_view text) {
    if (text.empty() || text == "Z") return 0L;
    int sign = text.front() == '+' ? 1 : text.front() == '-' ? -1 : 0;
    if (sign == 0) return std::nullopt;
    text.remove_prefix(1);
    auto hours = take_digits(text, 2);
    take(text, ':');
    auto minutes = take_digits(text, 2);
    if (!hours || !minutes || !text.empty() || *hours > 23 || *minutes > 59) return std::nullopt;
    return sign * (*hours * 3600L + *minutes * 60L);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
    std::tm tm{};
    auto year = take_digits(text, 4);
    bool dashes = take(text, '-');
    auto month = take_digits(text, 2);
    dashes = take(text, '-') && dashes;
    auto day = take_digits(text, 2);
    if (!year || !month || !day || !dashes) return std::nullopt;
    int hour = 0, minute = 0, second = 0, millis = 0;
    if (take(text, 'T') || take(text, ' ')) {
        auto h = take_digits(text, 2);
        bool colon = take(text, ':');
        auto m = take_digits(text, 2);
        if (!h || !colon || !m) return std::nullopt;
        hour = *h, minute = *m;
        if (take(text, ':')) {
            auto s = take_digits(text, 2);
            if (!s) return std::nullopt;
            second = *s;
            if (take(text, '.') || take(text, ',')) {
                std::size_t digits = 0;
                for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9';
                     ++digits) {
                    if (digits < 3) millis = millis * 10 + (text[digits] - '0');
                }
                if (digits == 0) return std::nullopt;
                for (std::size_t d = digits; d < 3; ++d) millis *= 10;
                text.remove_prefix(digits);
            }
        }
    }
    auto offset = zone_offset(text);
    if (!offset || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    std::tm asked = tm;
    std::time_t secs = ::timegm(&tm);
    // timegm() normalizes 2026-02-30 to March 2nd: a date that changed did not exist.
    if (tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon || *month < 1) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(secs - *offset) +
           std::chrono::milliseconds(millis);
}

}  // namespace herald::log
