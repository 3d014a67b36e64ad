#pragma once
// [[rate_limit]]: how many messages a sender, a user, a client address or a sender domain may
// relay per window. Counted in fixed windows aligned to the epoch, so that the count is exact
// (the event loop is the only writer) and can be saved and read back across a restart within
// the window. A message counts once, when its first relayed recipient is accepted: bounces
// (the null sender) and mail for local domains never count.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "policy/network_list.hpp"

namespace herald::policy {

// Who is sending: what the rules count by.
struct RateSubject {
    std::string_view sender;     // envelope sender; "" for a bounce
    std::string_view user;       // authenticated user; "" when none
    std::string_view client_ip;  // "" for local injection
};

class RateLimiter {
  public:
    using Clock = std::chrono::system_clock;

    explicit RateLimiter(const std::vector<config::RateLimit>& rules);
    // The same rules with each count divided among `nodes` (at least 1 each) and no counts
    // yet: what one node of a cluster may send alone while the shared store is out of reach.
    RateLimiter(const RateLimiter& whole, std::size_t nodes);

    // One rule's part in counting a message, for a store that several nodes share
    // (state/shared_rate_limits.hpp).
    struct Charge {
        std::string key;  // the rule and the subject: "sender,10,3600 a@example.com"
        std::uint64_t count = 0;
        std::chrono::seconds window{3600};
        std::string refusal;  // what over_limit() says when this one is reached
    };
    std::vector<Charge> charges(const RateSubject& subject) const;

    // Why one more message from `subject` would go over a limit, if it would.
    std::optional<std::string> over_limit(const RateSubject& subject, Clock::time_point now) const;
    // Counts one message against every rule that applies to `subject`.
    void count(const RateSubject& subject, Clock::time_point now);

    // The counters of windows still open at `now`, one per line, for a restart to read.
    std::string save(Clock::time_point now) const;
    // Reads what save() wrote; lines of rules no longer configured, of windows that are over
    // or that it cannot read are skipped.
    void load(std::string_view saved, Clock::time_point now);
    // Drops the counters of windows that are over: memory stays bounded by the active keys.
    void forget_closed_windows(Clock::time_point now);
    // save()/load() through a file, replaced whole (rename) so that a crash leaves the old
    // or the new counters, never half of them. A missing file is an empty one.
    Status save_to(const std::filesystem::path& path, Clock::time_point now);
    void load_from(const std::filesystem::path& path, Clock::time_point now);
    bool changed_since_save() const { return changed_; }

  private:
    struct Rule {
        std::string match;  // sender | user | client_ip | sender_domain
        std::string limit;  // as written, for the reply
        std::uint64_t count = 0;
        std::chrono::seconds window{3600};
        NetworkList exempt_networks;
        std::vector<std::string> exempt_users;
        NetworkList networks;  // with users: the only clients counted, when set
        std::vector<std::string> users;
        bool scoped = false;  // networks or users were given
    };
    static bool counts(const Rule& rule, const RateSubject& subject);
    struct Counter {
        std::int64_t window_start = 0;  // seconds since the epoch
        std::uint64_t used = 0;
    };

    static std::string rule_id(const Rule& rule);
    static std::string refusal(const Rule& rule, const std::string& key);
    std::optional<std::string> key_for(const Rule& rule, const RateSubject& subject) const;
    std::int64_t window_start(const Rule& rule, Clock::time_point now) const;
    std::uint64_t used(std::size_t rule, const std::string& key, Clock::time_point now) const;

    std::vector<Rule> rules_;
    std::vector<std::unordered_map<std::string, Counter>> counters_;  // one map per rule
    bool changed_ = false;
};

}  // namespace herald::policy
