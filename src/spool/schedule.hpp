#pragma once
// Delivery bookkeeping kept beside a queued message for `herald queue list` and for the next
// start: how often it was tried, when it is due, why it failed last, each pending recipient's
// last deferral (for the reports: RFC 3464 wants the last error and who gave it) and whether
// the sender was warned of the delay. Losing it in a crash is mostly harmless (the message is
// simply tried at once), so it is written without fsync, except once the delay warning was
// sent: that fact is fsync'd, so that a crash does not warn the sender twice.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::spool {

// The last temporary failure of one recipient.
struct Deferral {
    std::string recipient;
    std::string reply;        // the remote reply, or our reason ("connect to ...: refused")
    std::string remote_host;  // "mx.example.net [192.0.2.1]", or "" when none answered
    std::chrono::system_clock::time_point at{};
};

struct Schedule {
    unsigned attempts = 0;
    std::chrono::system_clock::time_point next_attempt{};
    std::string last_error;
    std::vector<Deferral> deferrals;  // one per recipient still pending, at most
    // When the delay warning (RFC 3464 "delayed" DSN) went to the sender; nullopt: not yet.
    std::optional<std::chrono::system_clock::time_point> delay_warned;

    const Deferral* deferral_of(std::string_view recipient) const;
};

std::string encode_schedule(const Schedule& schedule);
std::optional<Schedule> parse_schedule(std::string_view text);

}  // namespace herald::spool
