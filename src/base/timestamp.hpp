#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace herald {

// UTC ISO 8601 with milliseconds, e.g. 2026-11-22T20:55:49.123Z: the form of every log line.
std::string iso8601_utc(std::chrono::system_clock::time_point t);
inline std::string iso8601_now() {
    return iso8601_utc(std::chrono::system_clock::now());
}

// Whole seconds since the epoch, as state files, tokens and Redis keep times; and back.
inline std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline std::int64_t unix_seconds_now() {
    return unix_seconds(std::chrono::system_clock::now());
}
inline std::chrono::system_clock::time_point from_unix_seconds(std::int64_t seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

// RFC 5322 date-time, e.g. "Sun, 22 Nov 2026 20:55:49 +0000", for Date: and Received:.
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace herald
