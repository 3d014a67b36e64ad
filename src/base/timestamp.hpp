#pragma once
#include <chrono>
#include <string>

namespace herald {

// UTC ISO 8601 with milliseconds, e.g. 2026-11-22T20:55:49.123Z: the form of every log line.
std::string iso8601_utc(std::chrono::system_clock::time_point t);
inline std::string iso8601_now() {
    return iso8601_utc(std::chrono::system_clock::now());
}

// RFC 5322 date-time, e.g. "Sun, 22 Nov 2026 20:55:49 +0000", for Date: and Received:.
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace herald
