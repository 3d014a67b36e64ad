#include "policy/auth_throttle.hpp"

#include <algorithm>

namespace herald::policy {

namespace {

// An AUTH line may carry a user name of several kilobytes; a key this long is plenty to tell
// real names apart and keeps a full table small.
constexpr std::size_t kMaxKey = 256;
// A full table is swept for expired entries at most this often: a flood of new names must
// not cost a scan of the table each.
constexpr std::chrono::seconds kSweepEvery{1};

std::string_view key_of(std::string_view name) {
    return name.substr(0, kMaxKey);
}

}  // namespace

AuthThrottle::AuthThrottle(AuthThrottleSettings settings) : settings_(settings) {}

bool AuthThrottle::expired(const Entry& e, Clock::time_point now) const {
    return now >= e.locked_until && now - e.first_failure >= settings_.lockout;
}

void AuthThrottle::forget_expired(Table& table, Clock::time_point now) {
    if (table.swept != Clock::time_point{} && now - table.swept < kSweepEvery) return;
    table.swept = now;
    std::erase_if(table.entries, [&](const auto& item) { return expired(item.second, now); });
}

AuthThrottle::Entry* AuthThrottle::entry(Table& table, std::string_view key,
                                         Clock::time_point now) {
    auto found = table.entries.find(std::string(key_of(key)));
    if (found != table.entries.end()) return &found->second;
    if (table.entries.size() >= settings_.max_tracked) forget_expired(table, now);
    if (table.entries.size() >= settings_.max_tracked) return nullptr;
    return &table.entries.emplace(std::string(key_of(key)), Entry{}).first->second;
}

bool AuthThrottle::locked_in(Table& table, std::string_view key, Clock::time_point now) {
    auto found = table.entries.find(std::string(key_of(key)));
    return found != table.entries.end() && now < found->second.locked_until;
}

bool AuthThrottle::locked(std::string_view client_ip, std::string_view user,
                          Clock::time_point now) {
    return locked_in(ips_, client_ip, now) || (!user.empty() && locked_in(users_, user, now));
}

bool AuthThrottle::count(Entry& e, Clock::time_point now) {
    // Failures older than the window are forgotten: a user who mistypes now and then over a
    // day is never locked out.
    if (e.failures == 0 || now - e.first_failure >= settings_.lockout) {
        e.failures = 0;
        e.first_failure = now;
    }
    ++e.failures;
    if (settings_.failures_before_lockout == 0 || e.failures < settings_.failures_before_lockout) {
        return false;
    }
    e.locked_until = now + settings_.lockout;
    e.failures = 0;
    return true;
}

AuthThrottle::Failure AuthThrottle::failed(std::string_view client_ip, std::string_view user,
                                           Clock::time_point now) {
    Failure failure;
    std::size_t failures = 1;
    if (Entry* e = entry(ips_, client_ip, now)) {
        failure.ip_locked = count(*e, now);
        failures =
            std::max(failures, failure.ip_locked ? settings_.failures_before_lockout : e->failures);
    }
    if (!user.empty()) {
        if (Entry* e = entry(users_, user, now)) {
            failure.user_locked = count(*e, now);
            failures = std::max(
                failures, failure.user_locked ? settings_.failures_before_lockout : e->failures);
        }
    }
    failure.delay = delay_after(failures);
    return failure;
}

// The base delay, doubled for each earlier failure in the window, up to max_delay.
std::chrono::milliseconds AuthThrottle::delay_after(std::size_t failures) const {
    const std::chrono::milliseconds base = settings_.base_delay;
    const std::chrono::milliseconds cap =
        std::max<std::chrono::milliseconds>(base, std::chrono::milliseconds(settings_.max_delay));
    std::chrono::milliseconds delay = base;
    for (std::size_t i = 1; i < failures && delay < cap; ++i) delay *= 2;
    return std::min(delay, cap);
}

std::string_view AuthThrottle::key(std::string_view name) {
    return key_of(name);
}

void AuthThrottle::succeeded(std::string_view client_ip) {
    auto found = ips_.entries.find(std::string(key_of(client_ip)));
    if (found == ips_.entries.end()) return;
    // A lockout in force stays: success is not checked while it lasts, so this is a count.
    if (found->second.locked_until == Clock::time_point{}) {
        ips_.entries.erase(found);
    } else {
        found->second.failures = 0;
    }
}

}  // namespace herald::policy
