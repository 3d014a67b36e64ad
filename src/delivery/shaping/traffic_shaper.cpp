#include "delivery/shaping/traffic_shaper.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/timestamp.hpp"

namespace herald::delivery {

namespace json = boost::json;
using Clock = TrafficShaper::Clock;
using Action = config::ShapingRule::Action;

namespace {

// A rule acts once on a burst of replies: the messages in flight when it acted draw the same
// answer, and must not halve the rate again and again.
constexpr auto kHoldDown = std::chrono::seconds(2);
// With neither a configured rate nor one measured, a reduction starts from one a minute.
constexpr double kFallbackRate = 60;
// A warm-up cap beyond this is no cap.
constexpr double kNoDailyLimit = 1e12;
// The most recovery steps one call takes, however long the pair was idle.
constexpr int kMaxSteps = 100;
constexpr auto kMeasuredWindow = std::chrono::minutes(1);

std::string_view action_name(Action action) {
    switch (action) {
        case Action::reduce_rate:
            return "reduce_rate";
        case Action::cap_connections:
            return "cap_connections";
        case Action::suspend:
            return "suspend";
        case Action::bounce:
            break;
    }
    return "bounce";
}

Clock::duration interval_of(double per_hour) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(3600.0 / per_hour));
}

std::string per_hour(double rate) {
    return rate > 0 ? fmt::format("{}/h", std::llround(rate)) : std::string("no limit");
}

std::int64_t day_of(Clock::time_point t) {
    return std::chrono::floor<std::chrono::days>(t.time_since_epoch()).count();
}

Clock::time_point start_of_day(std::int64_t day) {
    return Clock::time_point(std::chrono::days(day));
}

// "421 4.7.28 matched rule 'google-rate'", or without the codes for a local failure. Single
// quotes: the mainlog would escape double ones.
std::string because(const config::ShapingRule& rule, std::string_view reply) {
    const ReplyCodes codes = reply_codes(reply);
    std::string why;
    if (codes.code != 0) why = std::to_string(codes.code) + " ";
    if (!codes.enhanced.empty()) why += codes.enhanced + " ";
    return why + "matched rule '" + rule.name + "'";
}

// "5m", "90s", "2h": as the config says durations.
std::string duration_text(config::Seconds d) {
    const auto n = d.count();
    if (n > 0 && n % 3600 == 0) return std::to_string(n / 3600) + "h";
    if (n > 0 && n % 60 == 0) return std::to_string(n / 60) + "m";
    return std::to_string(n) + "s";
}

std::int64_t seconds_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// What a state file may hold: times from 1970 to 2255 (the system clock counts nanoseconds in
// 64 bits), rates a person could mean. Beyond them a file is damaged, not a state.
constexpr std::int64_t kLatestSecond = std::int64_t{9'000'000'000};
constexpr std::int64_t kLatestDay = kLatestSecond / 86400;
constexpr double kMostPerHour = 1e9;

std::int64_t bounded(const json::value& v, std::int64_t most) {
    const auto n = v.to_number<std::int64_t>();
    if (n < 0 || n > most) throw std::out_of_range("a time out of range");
    return n;
}

double bounded_rate(const json::value& v) {
    const auto rate = v.to_number<double>();
    if (!(rate >= 0 && rate <= kMostPerHour)) throw std::out_of_range("a rate out of range");
    return rate;
}

json::value time_or_null(Clock::time_point t, Clock::time_point now) {
    if (t <= now) return nullptr;
    return json::value(iso8601_utc(t));
}

// The tighter of two rates in messages an hour, where 0 is none.
double tighter(double a, double b) {
    if (a == 0) return b;
    return b > 0 && b < a ? b : a;
}

// The configured rate of a provider in messages an hour; 0: none.
double configured_rate(const config::Provider& provider) {
    return tighter(static_cast<double>(provider.max_messages_per_minute) * 60,
                   static_cast<double>(provider.max_messages_per_hour));
}

}  // namespace

TrafficShaper::TrafficShaper(const config::Shaping& settings, Note note,
                             const std::vector<config::IpPool>& pools)
    : settings_(settings), rules_(settings.rules), note_(std::move(note)) {
    for (const auto& pool : pools) {
        for (const auto& address : pool.addresses) {
            if (address.warmup_start > 0) warmups_.emplace(address.address, address);
        }
    }
}

TrafficShaper::DailyLimit TrafficShaper::daily_limit(const std::string& source,
                                                     const config::Provider& provider,
                                                     std::int64_t today) const {
    DailyLimit limit{.messages = provider.max_messages_per_day};
    auto warmup = warmups_.find(source);
    if (warmup == warmups_.end()) return limit;
    auto first = first_days_.find(source);
    const std::int64_t day =
        first == first_days_.end() ? 0 : std::max<std::int64_t>(0, today - first->second);
    const double cap = static_cast<double>(warmup->second.warmup_start) *
                       std::pow(warmup->second.warmup_factor, static_cast<double>(day));
    // Past the provider's own limit (or a trillion), the warm-up is over.
    const double most = limit.messages > 0 ? static_cast<double>(limit.messages) : kNoDailyLimit;
    if (cap < most) {
        limit.messages = static_cast<std::size_t>(cap);
        limit.warmup_day = day;
    }
    return limit;
}

// The pair's state with the recovery due by `now` applied. The caller holds the lock.
TrafficShaper::Pair& TrafficShaper::current(const std::string& source,
                                            const config::Provider& provider,
                                            Clock::time_point now) {
    const Key key{source, provider.name};
    Pair& p = pairs_[key];
    relax(key, p, provider, now);
    return p;
}

// The tighter of the configured rate and a reaction's; 0: none.
double TrafficShaper::rate_in_force(const Pair& p, const config::Provider& provider) const {
    return tighter(configured_rate(provider) / static_cast<double>(p.sharers), p.rate);
}

void TrafficShaper::forget_old_accepts(Pair& p, Clock::time_point now) {
    while (!p.accepted.empty() && p.accepted.front() + kMeasuredWindow < now) {
        p.accepted.pop_front();
    }
}

double TrafficShaper::accepted_rate(Pair& p, Clock::time_point now) const {
    forget_old_accepts(p, now);
    if (p.accepted.empty()) return 0;
    const auto span = std::max<Clock::duration>(now - p.accepted.front(), std::chrono::seconds(1));
    return static_cast<double>(p.accepted.size()) * 3600.0 /
           std::chrono::duration<double>(span).count();
}

TrafficShaper::Admission TrafficShaper::admit(const std::string& source,
                                              const config::Provider& provider, std::string_view id,
                                              Clock::time_point now) {
    std::lock_guard lock(mutex_);
    Pair& p = current(source, provider, now);
    if (p.suspended_until > now) {
        return {p.suspended_until,
                fmt::format("shaping: {} from {} is suspended until {}", provider.name, source,
                            iso8601_utc(p.suspended_until))};
    }
    if (const auto today = day_of(now); p.day != today) {
        p.day = today;
        p.sent_today = 0;
    }
    if (warmups_.contains(source) && first_days_.try_emplace(source, p.day).second) changed_ = true;
    if (const auto daily = daily_limit(source, provider, p.day);
        daily.messages > 0 && p.sent_today >= daily.messages) {
        const std::string warmup =
            daily.warmup_day ? fmt::format(" (warm-up day {})", *daily.warmup_day + 1) : "";
        return {start_of_day(p.day + 1),
                fmt::format("shaping: {} takes {} messages a day from {}{}; today's are sent",
                            provider.name, daily.messages, source, warmup)};
    }
    if (const double rate = rate_in_force(p, provider); rate > 0) {
        const auto at = p.slots.slot(id, now, interval_of(rate));
        if (at > now) {
            return {at, fmt::format("shaping: {} gets {} from {}", provider.name, per_hour(rate),
                                    source)};
        }
    }
    ++p.sent_today;
    ++p.unshared;
    changed_ = true;
    return {now, ""};
}

std::vector<TrafficShaper::SentCount> TrafficShaper::take_unshared() {
    std::lock_guard lock(mutex_);
    std::vector<SentCount> out;
    for (auto& [key, p] : pairs_) {
        if (p.unshared == 0) continue;
        out.push_back({.source = key.first,
                       .provider = key.second,
                       .day = p.day,
                       .sent = std::exchange(p.unshared, 0)});
    }
    return out;
}

void TrafficShaper::untold(const SentCount& count) {
    std::lock_guard lock(mutex_);
    Pair& p = pairs_[Key{count.source, count.provider}];
    if (p.day == count.day) p.unshared += count.sent;
}

void TrafficShaper::adopt_sent(const SentCount& total) {
    std::lock_guard lock(mutex_);
    Pair& p = pairs_[Key{total.source, total.provider}];
    if (total.day < p.day) return;
    if (total.day > p.day) {
        p.day = total.day;
        p.sent_today = 0;
        p.unshared = 0;
    }
    // The cluster's total holds this node's told part; what it sent since is on top.
    p.sent_today = std::max(p.sent_today, total.sent + p.unshared);
    changed_ = true;
}

void TrafficShaper::set_sharers(const std::map<Key, std::size_t>& sharers) {
    std::lock_guard lock(mutex_);
    for (auto& [key, p] : pairs_) {
        auto found = sharers.find(key);
        p.sharers = found == sharers.end() ? 1 : std::max<std::size_t>(found->second, 1);
    }
}

std::map<std::string, std::int64_t> TrafficShaper::first_days() const {
    std::lock_guard lock(mutex_);
    return {first_days_.begin(), first_days_.end()};
}

void TrafficShaper::adopt_first_day(const std::string& source, std::int64_t day) {
    std::lock_guard lock(mutex_);
    if (!warmups_.contains(source)) return;
    auto [it, added] = first_days_.try_emplace(source, day);
    if (!added && day < it->second) it->second = day;
    changed_ = true;
}

std::size_t TrafficShaper::max_connections(const std::string& source,
                                           const config::Provider& provider, std::size_t configured,
                                           Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const Pair& p = current(source, provider, now);
    const std::size_t share = std::max<std::size_t>(configured / p.sharers, 1);
    return p.connections > 0 ? std::min(p.connections, share) : share;
}

void TrafficShaper::accepted(const std::string& source, const config::Provider& provider,
                             Clock::time_point now) {
    std::lock_guard lock(mutex_);
    Pair& p = pairs_[Key{source, provider.name}];
    p.accepted.push_back(now);
    forget_old_accepts(p, now);
}

std::optional<TrafficShaper::Reaction> TrafficShaper::react(const std::string& source,
                                                            const config::Provider& provider,
                                                            std::size_t configured_connections,
                                                            std::string_view reply,
                                                            Clock::time_point now) {
    const config::ShapingRule* rule = rules_.match(provider.name, reply);
    if (rule == nullptr) return std::nullopt;
    std::lock_guard lock(mutex_);
    const Key key{source, provider.name};
    Pair& p = pairs_[key];
    ++matches_[{provider.name, rule->name}];
    if (auto quiet = p.quiet_until.find(rule->name);
        quiet == p.quiet_until.end() || quiet->second <= now) {
        act(key, p, provider, configured_connections, *rule, reply, now);
    }
    Reaction reaction{.action = rule->action, .retry_at = {}};
    Clock::duration wait = kMinRetry;
    if (const double rate = rate_in_force(p, provider); rate > 0) {
        wait = std::max(wait, interval_of(rate));
    }
    reaction.retry_at = std::max(p.suspended_until, now + wait);
    return reaction;
}

void TrafficShaper::act(const Key& key, Pair& p, const config::Provider& provider,
                        std::size_t configured_connections, const config::ShapingRule& rule,
                        std::string_view reply, Clock::time_point now) {
    auto hold = Clock::duration(kHoldDown);
    std::string what;
    switch (rule.action) {
        case Action::reduce_rate: {
            const double configured = configured_rate(provider);
            double current = rate_in_force(p, provider);
            if (current == 0) current = std::max(accepted_rate(p, now), p.recovered);
            if (current == 0) current = kFallbackRate;
            if (p.ceiling == 0) p.ceiling = configured > 0 ? configured : current;
            p.rate = std::max(1.0, current * rule.factor);
            p.slots.clear();
            hold = std::max(hold, 2 * interval_of(p.rate));
            what = "rate " + per_hour(current) + " -> " + per_hour(p.rate);
            break;
        }
        case Action::cap_connections: {
            const std::size_t current = p.connections > 0 ? p.connections : configured_connections;
            if (p.connections_ceiling == 0) p.connections_ceiling = configured_connections;
            p.connections = std::min(rule.connections, current);
            what = fmt::format("connections {} -> {}", current, p.connections);
            break;
        }
        case Action::suspend:
            p.suspended_until = std::max(p.suspended_until, now + rule.duration);
            what = "suspended until " + iso8601_utc(p.suspended_until);
            break;
        case Action::bounce:
            what = "bounce rather than retry";
            break;
    }
    p.quiet_until[rule.name] = now + hold;
    p.last_rule = rule.name;
    if (rule.action != Action::bounce) p.last_change = now;
    changed_ = true;
    ++actions_[key][std::string(action_name(rule.action))];
    log(key, what, because(rule, reply));
    if (observer_ && rule.action != Action::bounce) {
        observer_(SharedReaction{.source = key.first,
                                 .provider = key.second,
                                 .rule = rule.name,
                                 .rate = p.rate,
                                 .ceiling = p.ceiling,
                                 .connections = p.connections,
                                 .connections_ceiling = p.connections_ceiling,
                                 .suspended_until = p.suspended_until});
    }
}

void TrafficShaper::set_observer(std::function<void(const SharedReaction&)> observer) {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

void TrafficShaper::adopt(const SharedReaction& r, std::string_view from, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const Key key{r.source, r.provider};
    Pair& p = pairs_[key];
    std::vector<std::string> what;
    if (r.rate > 0 && (p.rate == 0 || r.rate < p.rate)) {
        if (p.ceiling == 0) p.ceiling = r.ceiling > 0 ? r.ceiling : r.rate;
        p.rate = r.rate;
        p.slots.clear();
        what.push_back("rate -> " + per_hour(p.rate));
    }
    if (r.connections > 0 && (p.connections == 0 || r.connections < p.connections)) {
        if (p.connections_ceiling == 0) p.connections_ceiling = r.connections_ceiling;
        p.connections = r.connections;
        what.push_back(fmt::format("connections -> {}", p.connections));
    }
    if (r.suspended_until > now && r.suspended_until > p.suspended_until) {
        p.suspended_until = r.suspended_until;
        what.push_back("suspended until " + iso8601_utc(p.suspended_until));
    }
    if (what.empty()) return;
    // As after its own reaction: the same replies arriving here now change nothing more.
    p.quiet_until[r.rule] = now + kHoldDown;
    p.last_rule = r.rule;
    p.last_change = now;
    changed_ = true;
    log(key, fmt::format("{}", fmt::join(what, ", ")),
        fmt::format("node {} was told: rule '{}'", from, r.rule));
}

// Additive increase: one step per quiet period since the last change.
void TrafficShaper::relax(const Key& key, Pair& p, const config::Provider& provider,
                          Clock::time_point now) {
    const auto quiet = std::chrono::duration_cast<Clock::duration>(settings_.quiet_period);
    const std::string why = "quiet for " + duration_text(settings_.quiet_period);
    for (int step = 0; step < kMaxSteps && reacting(p) && now >= p.last_change + quiet; ++step) {
        p.last_change += quiet;
        changed_ = true;
        if (p.rate > 0) {
            const double before = rate_in_force(p, provider);
            p.rate += settings_.recovery_step * p.ceiling;
            if (p.rate >= p.ceiling) {
                p.recovered = p.ceiling;
                p.rate = p.ceiling = 0;
            }
            log(key, "rate " + per_hour(before) + " -> " + per_hour(rate_in_force(p, provider)),
                why);
        }
        if (p.connections > 0) {
            const std::size_t before = p.connections;
            if (++p.connections >= p.connections_ceiling) p.connections = p.connections_ceiling = 0;
            log(key,
                fmt::format("connections {} -> {}", before,
                            p.connections > 0 ? std::to_string(p.connections) : "no cap"),
                why);
        }
    }
}

void TrafficShaper::log(const Key& key, const std::string& what, const std::string& why) {
    if (note_) note_(fmt::format("shaping: {} from {}: {} ({})", key.second, key.first, what, why));
}

void TrafficShaper::reset(std::string_view provider) {
    std::lock_guard lock(mutex_);
    for (auto& [key, p] : pairs_) {
        if (key.second != provider) continue;
        p.rate = p.ceiling = p.recovered = 0;
        p.connections = p.connections_ceiling = 0;
        p.suspended_until = {};
        p.quiet_until.clear();
        p.last_rule.clear();
        p.slots.clear();
        changed_ = true;
    }
    if (note_) note_(fmt::format("shaping: {}: reactions cleared by the administrator", provider));
}

json::array TrafficShaper::status(const config::Provider& provider, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    json::array sources;
    for (auto& [key, p] : pairs_) {
        if (key.second != provider.name) continue;
        relax(key, p, provider, now);
        const double rate = rate_in_force(p, provider);
        Clock::time_point relaxes{};
        if (reacting(p))
            relaxes =
                p.last_change + std::chrono::duration_cast<Clock::duration>(settings_.quiet_period);
        if (p.suspended_until > now) relaxes = std::max(relaxes, p.suspended_until);
        json::object entry{
            {"source", key.first},
            {"rate_per_hour", rate > 0 ? json::value(std::llround(rate)) : nullptr},
            {"max_connections", p.connections > 0 ? json::value(p.connections) : nullptr},
            {"suspended_until", time_or_null(p.suspended_until, now)},
            {"relaxes_at", time_or_null(relaxes, now)},
            {"sent_today", p.day == day_of(now) ? p.sent_today : 0},
            {"last_rule", p.last_rule}};
        const auto daily = daily_limit(key.first, provider, day_of(now));
        entry["daily_limit"] = daily.messages > 0 ? json::value(daily.messages) : nullptr;
        entry["warmup_day"] = daily.warmup_day ? json::value(*daily.warmup_day + 1) : nullptr;
        if (p.sharers > 1) entry["nodes_sharing"] = p.sharers;
        sources.emplace_back(std::move(entry));
    }
    return sources;
}

TrafficShaper::Figures TrafficShaper::figures(Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    Figures figures;
    figures.matches = matches_;
    for (const auto& [key, p] : pairs_) {
        auto counted = actions_.find(key);
        if (!reacting(p) && p.suspended_until <= now && counted == actions_.end()) continue;
        Figures::PerPair entry{.source = key.first,
                               .provider = key.second,
                               .rate = p.rate,
                               .connections = p.connections,
                               .suspended = p.suspended_until > now};
        if (counted != actions_.end()) entry.actions = counted->second;
        figures.pairs.push_back(std::move(entry));
    }
    return figures;
}

bool TrafficShaper::take_changed() {
    std::lock_guard lock(mutex_);
    return std::exchange(changed_, false);
}

// {"pairs": [{"source", "provider", "rate", "ceiling", "connections", "connections_ceiling",
//             "suspended_until", "last_change" (Unix seconds), "last_rule", "day",
//             "sent_today"}]}
std::string TrafficShaper::save() const {
    std::lock_guard lock(mutex_);
    json::array pairs;
    for (const auto& [key, p] : pairs_) {
        if (!reacting(p) && p.suspended_until == Clock::time_point{} && p.sent_today == 0) continue;
        pairs.emplace_back(json::object{{"source", key.first},
                                        {"provider", key.second},
                                        {"rate", p.rate},
                                        {"ceiling", p.ceiling},
                                        {"connections", p.connections},
                                        {"connections_ceiling", p.connections_ceiling},
                                        {"suspended_until", seconds_of(p.suspended_until)},
                                        {"last_change", seconds_of(p.last_change)},
                                        {"last_rule", p.last_rule},
                                        {"day", p.day},
                                        {"sent_today", p.sent_today}});
    }
    json::object first_days;
    for (const auto& [source, day] : first_days_) first_days[source] = day;
    return json::serialize(json::object{{"pairs", std::move(pairs)},
                                        {"warmup_first_days", std::move(first_days)}}) +
           "\n";
}

Status TrafficShaper::restore(std::string_view text) {
    boost::system::error_code ec;
    const json::value doc = json::parse(text, ec);
    const json::object* root = ec ? nullptr : doc.if_object();
    const json::value* listed = root != nullptr ? root->if_contains("pairs") : nullptr;
    if (listed == nullptr || !listed->is_array()) return Error{"not a shaping state file"};
    std::lock_guard lock(mutex_);
    if (const json::value* days = root->if_contains("warmup_first_days")) {
        if (!days->is_object()) return Error{"warmup_first_days is not an object"};
        for (const auto& [source, day] : days->get_object()) {
            if (!day.is_int64() || day.get_int64() < 0 || day.get_int64() > kLatestDay) {
                return Error{"a warm-up's first day is not a day"};
            }
            first_days_[std::string(source)] = day.get_int64();
        }
    }
    for (const auto& element : listed->get_array()) {
        const json::object* o = element.if_object();
        if (o == nullptr) return Error{"a pair is not an object"};
        try {
            Pair& p = pairs_[Key{std::string(o->at("source").as_string()),
                                 std::string(o->at("provider").as_string())}];
            p.rate = bounded_rate(o->at("rate"));
            p.ceiling = bounded_rate(o->at("ceiling"));
            p.connections = o->at("connections").to_number<std::size_t>();
            p.connections_ceiling = o->at("connections_ceiling").to_number<std::size_t>();
            p.suspended_until = from_unix_seconds(bounded(o->at("suspended_until"), kLatestSecond));
            p.last_change = from_unix_seconds(bounded(o->at("last_change"), kLatestSecond));
            p.last_rule = std::string(o->at("last_rule").as_string());
            p.day = bounded(o->at("day"), kLatestDay);
            p.sent_today = o->at("sent_today").to_number<std::size_t>();
            // A reaction without the limit it recovers to could never end; below one message
            // an hour, a rate is a damaged file.
            if (!(p.rate >= 1 && p.ceiling > p.rate)) p.rate = p.ceiling = 0;
            if (p.connections_ceiling <= p.connections) p.connections = p.connections_ceiling = 0;
        } catch (const std::exception& e) {
            return Error{std::string("a pair has a missing or bad field: ") + e.what()};
        }
    }
    return ok_status();
}

}  // namespace herald::delivery
