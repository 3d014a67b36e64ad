#pragma once
// A TLS report that an https:// destination did not take. RFC 8460 5.5: "In the event of a
// delivery failure, regardless of the delivery method, a sender SHOULD attempt redelivery for
// up to 24 hours after the initial attempt", ideally with exponential backoff. A mail is the
// queue's to retry; a POST is kept in <spool_dir>/tlsrpt/retry-<report id>-<n>.json, so that a
// restart goes on trying, and tried again 5 minutes after the first attempt, then after twice
// as long each time, until the 24 hours are over.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "tlsrpt/tls_report.hpp"

namespace herald::tlsrpt {

struct PendingPost {
    using Clock = std::chrono::system_clock;

    std::string url;
    Report report;            // as it was first sent
    Clock::time_point first;  // the first attempt
    unsigned attempts = 1;    // made so far
    Clock::time_point next;   // the next one's time

    std::string to_json() const;
    static Result<PendingPost> from_json(std::string_view text);
};

// When the attempt after `attempts` (the last one made at `now`) is due; nullopt once that
// would be more than 24 hours after `first`.
std::optional<PendingPost::Clock::time_point> next_post_attempt(
    PendingPost::Clock::time_point first, unsigned attempts, PendingPost::Clock::time_point now);

}  // namespace herald::tlsrpt
