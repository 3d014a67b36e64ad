#pragma once
// Traffic shaping per (source address, mailbox provider), issue 17: the provider's limits from
// the config (rates, messages a day, connections), the warm-up of a new source address (a
// daily cap per provider that grows each day from its first day of sending), and what the
// provider's replies taught. A reply that
// matches a [[shaping_rule]] reduces the rate, caps the connections, suspends the pair or
// bounces the recipient; after a quiet period without another, a reaction relaxes one step at
// a time (additive increase) until the configured limits are back. Every action is a mainlog
// line through `note`, counted for the metrics, shown by `herald shaping status`, and kept in
// a state file across restarts (save / restore).
//
// Shared by every smtp transport (two transports with one source address are one sender to
// the provider) and the admin and control servers: thread-safe. Sans I/O: the caller passes
// the time.
#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/shaping/rate_slots.hpp"
#include "delivery/shaping/reply_rules.hpp"

namespace herald::delivery {

class TrafficShaper {
  public:
    using Clock = std::chrono::system_clock;
    using Key = std::pair<std::string, std::string>;  // (source, provider)
    using Note = std::function<void(const std::string&)>;
    // A deferral that matched a rule comes back no sooner than this.
    static constexpr std::chrono::seconds kMinRetry{5};

    // `pools`: the [[ip_pool]]s, for the warm-up of their addresses.
    TrafficShaper(const config::Shaping& settings, Note note,
                  const std::vector<config::IpPool>& pools = {});

    // When message `id` may go from `source` to `provider`: `at` <= now, and it is counted as
    // sent; or later, with `why`.
    struct Admission {
        Clock::time_point at;
        std::string why;
    };
    Admission admit(const std::string& source, const config::Provider& provider,
                    std::string_view id, Clock::time_point now);

    // The connections `source` may have open to `provider` now: the provider's limit
    // (`configured`) or a lower cap that a reply set.
    std::size_t max_connections(const std::string& source, const config::Provider& provider,
                                std::size_t configured, Clock::time_point now);

    // The provider took a message from `source`: the rate it accepts, for a reduction when no
    // rate is configured.
    void accepted(const std::string& source, const config::Provider& provider,
                  Clock::time_point now);

    // A reply that was not a success, for one recipient. Null: no rule matched.
    struct Reaction {
        config::ShapingRule::Action action;
        // bounce: fail the recipient now. Otherwise retry it then (the pair's next slot, the
        // end of a suspension), not after the retry schedule; a suspension defers even a
        // 5xx, which said "not from this address", not "not this message".
        Clock::time_point retry_at;
    };
    std::optional<Reaction> react(const std::string& source, const config::Provider& provider,
                                  std::size_t configured_connections, std::string_view reply,
                                  Clock::time_point now);

    // Clears every reaction to `provider` (all sources). The counts of the day stay.
    void reset(std::string_view provider);

    // A reaction as the other nodes of a cluster take it (state/shared_shaping.hpp): the
    // pair's state once a rule acted. Nodes that send from the same address are one sender
    // to the provider, and a back-off one of them was told holds for all.
    struct SharedReaction {
        std::string source;
        std::string provider;
        std::string rule;
        double rate = 0;  // 0: no reduced rate
        double ceiling = 0;
        std::size_t connections = 0;  // 0: no cap
        std::size_t connections_ceiling = 0;
        Clock::time_point suspended_until{};
    };
    // The messages a pair sent on a day (UTC days since the epoch), for the daily limits and
    // warm-up caps of a cluster, which every node sending from the address counts against.
    struct SentCount {
        std::string source;
        std::string provider;
        std::int64_t day = 0;
        std::size_t sent = 0;
    };
    // What each pair sent since the last call (the part other nodes were not yet told).
    std::vector<SentCount> take_unshared();
    // Counts take_unshared() gave that could not be told: given back, for the next time.
    void untold(const SentCount& count);
    // The cluster's count of a pair's day: the pair counts no fewer from now on.
    void adopt_sent(const SentCount& total);
    // How many nodes of a cluster sent from each (address, provider) lately, this one
    // included: each takes its share of the provider's configured rate and connections.
    // Pairs not named have this node alone.
    void set_sharers(const std::map<Key, std::size_t>& sharers);
    // The day each warming address first sent, and another node's: the earlier one holds.
    std::map<std::string, std::int64_t> first_days() const;
    void adopt_first_day(const std::string& source, std::int64_t day);

    // Told each reaction that acted, under the shaper's lock: it must not call back.
    void set_observer(std::function<void(const SharedReaction&)> observer);
    // Another node's reaction (`from`: its name): the pair takes the stricter of its own
    // state and this, as if its own rule had acted.
    void adopt(const SharedReaction& reaction, std::string_view from, Clock::time_point now);

    // The sources with state for `provider`, for `herald shaping status`.
    boost::json::array status(const config::Provider& provider, Clock::time_point now);
    // For the metrics: the actions taken, the rules matched, the limits in force.
    struct Figures {
        struct PerPair {
            std::string source;
            std::string provider;
            std::map<std::string, std::uint64_t> actions;  // by action name
            double rate = 0;              // messages an hour a reaction set; 0: none
            std::size_t connections = 0;  // cap a reaction set; 0: none
            bool suspended = false;
        };
        std::vector<PerPair> pairs;
        std::map<std::pair<std::string, std::string>, std::uint64_t> matches;  // (provider, rule)
    };
    Figures figures(Clock::time_point now) const;

    // The state file's text, and back. restore() keeps what it can read.
    std::string save() const;
    Status restore(std::string_view text);
    // True once after each change worth saving.
    bool take_changed();

  private:
    struct Pair {
        double rate = 0;     // messages an hour set by a reaction; 0: none
        double ceiling = 0;  // recovery ends here: the rate before the first reduction
        // The ceiling of the last reaction that recovered all the way: a new one starts from
        // it, not from the minute just paced at a lower rate, or each cycle would end lower.
        double recovered = 0;
        std::size_t connections = 0;  // cap set by a reaction; 0: none
        std::size_t connections_ceiling = 0;
        Clock::time_point suspended_until{};
        Clock::time_point last_change{};  // of a reaction or a recovery step
        std::string last_rule;
        std::map<std::string, Clock::time_point, std::less<>> quiet_until;  // rule -> time
        std::int64_t day = 0;  // days since the epoch (UTC) that sent_today counts
        std::size_t sent_today = 0;
        std::size_t unshared = 0;  // of sent_today: not yet told to the cluster
        std::size_t sharers = 1;   // nodes sending from the address to the provider lately
        std::deque<Clock::time_point> accepted;  // the last minute's
        RateSlots slots;
    };

    Pair& current(const std::string& source, const config::Provider& provider,
                  Clock::time_point now);
    double rate_in_force(const Pair& p, const config::Provider& provider) const;
    // Today's cap of messages from `source` to `provider` (0: none), and the warm-up day.
    struct DailyLimit {
        std::size_t messages = 0;
        std::optional<std::int64_t> warmup_day;  // 0 on the address's first day of sending
    };
    DailyLimit daily_limit(const std::string& source, const config::Provider& provider,
                           std::int64_t today) const;
    double accepted_rate(Pair& p, Clock::time_point now) const;
    static void forget_old_accepts(Pair& p, Clock::time_point now);
    void relax(const Key& key, Pair& p, const config::Provider& provider, Clock::time_point now);
    bool reacting(const Pair& p) const { return p.rate > 0 || p.connections > 0; }
    void act(const Key& key, Pair& p, const config::Provider& provider,
             std::size_t configured_connections, const config::ShapingRule& rule,
             std::string_view reply, Clock::time_point now);
    void log(const Key& key, const std::string& what, const std::string& why);
    std::function<void(const SharedReaction&)> observer_;
    void count(const Key& key, std::string_view action);

    config::Shaping settings_;
    ReplyRules rules_;
    Note note_;
    mutable std::mutex mutex_;
    std::map<Key, Pair> pairs_;
    std::map<std::string, config::PoolAddress, std::less<>> warmups_;  // by address
    std::map<std::string, std::int64_t, std::less<>> first_days_;      // of sending, by address
    std::map<Key, std::map<std::string, std::uint64_t>> actions_;      // pair -> action -> count
    std::map<std::pair<std::string, std::string>, std::uint64_t> matches_;  // (provider, rule)
    bool changed_ = false;
};

}  // namespace herald::delivery
