#pragma once
// Delivery bookkeeping kept beside a queued message for `herald queue list` and for the next
// start: how often it was tried, when it is due, why it failed last. Losing it in a crash is
// harmless (the message is simply tried at once), so it is written without fsync.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald::spool {

struct Schedule {
    unsigned attempts = 0;
    std::chrono::system_clock::time_point next_attempt{};
    std::string last_error;
};

std::string encode_schedule(const Schedule& schedule);
std::optional<Schedule> parse_schedule(std::string_view text);

}  // namespace herald::spool
