#include "policy/rate_limiter.hpp"

#include <algorithm>
#include <charconv>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "base/state_file.hpp"

namespace herald::policy {

namespace {

std::int64_t seconds_since_epoch(RateLimiter::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

RateLimiter::RateLimiter(const std::vector<config::RateLimit>& rules) {
    for (const auto& r : rules) {
        Rule rule{.match = r.match,
                  .limit = r.limit,
                  .count = r.count,
                  .window = r.window,
                  .exempt_users = r.exempt_users,
                  .users = r.users,
                  .scoped = !r.networks.empty() || !r.users.empty()};
        // Validated by the config loader; a bad entry would only match nobody.
        if (auto networks = NetworkList::parse(r.exempt_networks)) {
            rule.exempt_networks = std::move(*networks);
        }
        if (auto networks = NetworkList::parse(r.networks)) rule.networks = std::move(*networks);
        rules_.push_back(std::move(rule));
    }
    counters_.resize(rules_.size());
}

RateLimiter::RateLimiter(const RateLimiter& whole, std::size_t nodes) : rules_(whole.rules_) {
    const std::uint64_t share = std::max<std::uint64_t>(nodes, 1);
    for (auto& rule : rules_) {
        if (share > 1) rule.limit += " shared by " + std::to_string(share) + " nodes";
        rule.count = std::max<std::uint64_t>(rule.count / share, 1);
    }
    counters_.resize(rules_.size());
}

std::vector<RateLimiter::Charge> RateLimiter::charges(const RateSubject& subject) const {
    std::vector<Charge> out;
    for (const auto& rule : rules_) {
        auto key = key_for(rule, subject);
        if (!key) continue;
        out.push_back({.key = rule_id(rule) + ' ' + *key,
                       .count = rule.count,
                       .window = rule.window,
                       .refusal = refusal(rule, *key)});
    }
    return out;
}

std::string RateLimiter::refusal(const Rule& rule, const std::string& key) {
    return "limit of " + rule.limit + " per " + rule.match + " reached for " + key;
}

bool RateLimiter::counts(const Rule& rule, const RateSubject& subject) {
    const auto listed = [&](const std::vector<std::string>& users) {
        return !subject.user.empty() &&
               std::find(users.begin(), users.end(), subject.user) != users.end();
    };
    if (rule.exempt_networks.contains(subject.client_ip) || listed(rule.exempt_users)) {
        return false;
    }
    return !rule.scoped || rule.networks.contains(subject.client_ip) || listed(rule.users);
}

std::optional<std::string> RateLimiter::key_for(const Rule& rule,
                                                const RateSubject& subject) const {
    if (subject.sender.empty()) return std::nullopt;  // bounces are never limited
    if (!counts(rule, subject)) return std::nullopt;
    if (rule.match == "sender") return ascii_lowercase(subject.sender);
    if (rule.match == "sender_domain") {
        const auto domain = domain_of(subject.sender);
        if (domain.empty()) return std::nullopt;
        return ascii_lowercase(domain);
    }
    if (rule.match == "user") {
        if (subject.user.empty()) return std::nullopt;
        return std::string(subject.user);
    }
    if (rule.match == "client_ip") {
        if (subject.client_ip.empty()) return std::nullopt;
        return std::string(subject.client_ip);
    }
    return std::nullopt;
}

std::int64_t RateLimiter::window_start(const Rule& rule, Clock::time_point now) const {
    const std::int64_t window = std::max<std::int64_t>(rule.window.count(), 1);
    const std::int64_t t = seconds_since_epoch(now);
    return t - t % window;
}

std::uint64_t RateLimiter::used(std::size_t rule, const std::string& key,
                                Clock::time_point now) const {
    auto it = counters_[rule].find(key);
    if (it == counters_[rule].end()) return 0;
    return it->second.window_start == window_start(rules_[rule], now) ? it->second.used : 0;
}

std::optional<std::string> RateLimiter::over_limit(const RateSubject& subject,
                                                   Clock::time_point now) const {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        auto key = key_for(rules_[i], subject);
        if (!key || used(i, *key, now) < rules_[i].count) continue;
        return refusal(rules_[i], *key);
    }
    return std::nullopt;
}

void RateLimiter::count(const RateSubject& subject, Clock::time_point now) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        auto key = key_for(rules_[i], subject);
        if (!key) continue;
        Counter& counter = counters_[i][*key];
        const std::int64_t start = window_start(rules_[i], now);
        if (counter.window_start != start) counter = Counter{start, 0};
        ++counter.used;
        changed_ = true;
    }
}

// "rule window_start used key", the rule named by what it counts and its rate so that a
// changed config never credits one rule's counts to another. The key goes last: it is the
// only free text, and holds no spaces or line breaks (addresses, domains, users, IPs).
std::string RateLimiter::rule_id(const Rule& rule) {
    return rule.match + ',' + std::to_string(rule.count) + ',' +
           std::to_string(rule.window.count());
}

std::string RateLimiter::save(Clock::time_point now) const {
    std::string out;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const std::int64_t start = window_start(rules_[i], now);
        for (const auto& [key, counter] : counters_[i]) {
            if (counter.window_start != start || counter.used == 0) continue;
            out += rule_id(rules_[i]) + ' ' + std::to_string(counter.window_start) + ' ' +
                   std::to_string(counter.used) + ' ' + key + '\n';
        }
    }
    return out;
}

void RateLimiter::load(std::string_view saved, Clock::time_point now) {
    std::istringstream in{std::string(saved)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, start_text, used_text, key;
        if (!(fields >> id >> start_text >> used_text >> key)) continue;
        std::int64_t start = 0;
        std::uint64_t used = 0;
        if (!parse_number(start_text, start) || !parse_number(used_text, used)) continue;
        for (std::size_t i = 0; i < rules_.size(); ++i) {
            if (rule_id(rules_[i]) != id || start != window_start(rules_[i], now)) continue;
            counters_[i][key] = Counter{start, used};
        }
    }
}

Status RateLimiter::save_to(const std::filesystem::path& path, Clock::time_point now) {
    if (auto saved = replace_file(path, save(now)); !saved) return saved;
    changed_ = false;
    return ok_status();
}

void RateLimiter::load_from(const std::filesystem::path& path, Clock::time_point now) {
    if (auto text = read_state_file(path)) load(*text, now);
}

void RateLimiter::forget_closed_windows(Clock::time_point now) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const std::int64_t start = window_start(rules_[i], now);
        std::erase_if(counters_[i],
                      [start](const auto& entry) { return entry.second.window_start != start; });
    }
}

}  // namespace herald::policy
