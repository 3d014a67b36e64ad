#pragma once
// AUTH failure throttling, per client address and per user name, shared by every connection
// and listener of one server (it lives in the server, so a reload does not reset it).
//
// Each failure within the window makes the next failed reply wait longer (the base delay,
// doubled per failure, capped); `failures_before_lockout` failures within the window lock
// the address or the user out for `lockout`: AUTH is then refused with 454 4.7.0 before any
// password is checked, the right one included, so that guessing learns nothing. A success
// clears the address's count; the user's count stays, since another address may be the one
// guessing that user's password.
//
// In memory: one small entry per address and per user name with a failure in the window or a
// lockout in force, at most `max_tracked` of each. When a table is full and nothing in it has
// expired, a new name is not tracked (its failures get the base delay): the entries already
// there, lockouts included, are never pushed out by a flood of new names.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::policy {

struct AuthThrottleSettings {
    std::chrono::seconds base_delay{2};
    std::chrono::seconds max_delay{30};
    std::size_t failures_before_lockout = 10;  // 0: never lock out
    std::chrono::seconds lockout{900};         // also the window in which failures count
    std::size_t max_tracked = 10000;           // per table (addresses, users)
};

class AuthThrottle {
  public:
    using Clock = std::chrono::steady_clock;

    explicit AuthThrottle(AuthThrottleSettings settings);

    // Whether AUTH from `client_ip` as `user` is refused now (454 4.7.0).
    bool locked(std::string_view client_ip, std::string_view user, Clock::time_point now);

    struct Failure {
        std::chrono::milliseconds delay{0};  // before the 535 reply
        bool ip_locked = false;              // this failure started a lockout of the address
        bool user_locked = false;            // ... of the user name
    };
    Failure failed(std::string_view client_ip, std::string_view user, Clock::time_point now);
    void succeeded(std::string_view client_ip);
    // The wait before the 535 of the `failures`th failure in the window.
    std::chrono::milliseconds delay_after(std::size_t failures) const;
    // What an address or user name is counted as (a long name is cut).
    static std::string_view key(std::string_view name);

    const AuthThrottleSettings& settings() const { return settings_; }
    std::size_t tracked_ips() const { return ips_.entries.size(); }
    std::size_t tracked_users() const { return users_.entries.size(); }

  private:
    struct Entry {
        std::size_t failures = 0;
        Clock::time_point first_failure;
        Clock::time_point locked_until;
    };
    struct Table {
        std::unordered_map<std::string, Entry> entries;
        Clock::time_point swept;  // when expired entries were last dropped
    };

    bool locked_in(Table& table, std::string_view key, Clock::time_point now);
    // The entry for `key`, made if there is room; null when the table is full.
    Entry* entry(Table& table, std::string_view key, Clock::time_point now);
    // Counts one failure; true when it starts a lockout.
    bool count(Entry& e, Clock::time_point now);
    bool expired(const Entry& e, Clock::time_point now) const;
    void forget_expired(Table& table, Clock::time_point now);

    AuthThrottleSettings settings_;
    Table ips_;
    Table users_;
};

}  // namespace herald::policy
