#include "config/reload_guard.hpp"

#include <algorithm>

namespace herald::config {

namespace {

std::size_t reject_entries(const Config& c) {
    return c.reject.senders.size() + c.reject.users.size();
}

}  // namespace

std::vector<std::string> what_reload_would_strip(const Config& running, const Config& next) {
    std::vector<std::string> reasons;
    if (next.listeners.empty()) {
        reasons.push_back("it has no [[listener]], so the next start would take no mail");
    }
    if (!running.users.empty() && next.users.empty()) {
        reasons.push_back("it removes every [[user]] (" + std::to_string(running.users.size()) +
                          " now): no client could authenticate");
    }
    if (reject_entries(running) > 0 && reject_entries(next) == 0) {
        reasons.push_back("it removes every [reject] entry (" +
                          std::to_string(reject_entries(running)) + " now)");
    }
    if (!running.rate_limits.empty() && next.rate_limits.empty()) {
        reasons.push_back("it removes every [[rate_limit]] (" +
                          std::to_string(running.rate_limits.size()) + " now)");
    }
    const auto& now = running.relay.networks;
    const auto& then = next.relay.networks;
    const bool one_kept = std::any_of(now.begin(), now.end(), [&](const std::string& network) {
        return std::find(then.begin(), then.end(), network) != then.end();
    });
    if (!now.empty() && !one_kept) {
        std::string listed;
        for (const auto& network : then) listed += (listed.empty() ? "" : ", ") + network;
        reasons.push_back("it keeps none of the [relay] networks in force (it has " +
                          (listed.empty() ? std::string("none") : listed) + ")");
    }
    return reasons;
}

std::string unmovable_change(const Config& running, const Config& next) {
    if (next.server.spool_dir == running.server.spool_dir) return "";
    return "[server] spool_dir cannot change while Herald runs (the queue is in " +
           running.server.spool_dir.string() + "): stop Herald, move the spool, then start it";
}

namespace {

// Keeps one section at its running value; its name is noted when `next` had changed it.
template <typename Section>
void keep(const Section& running, Section& next, const char* name,
          std::vector<std::string>& changed) {
    if (next == running) return;
    changed.emplace_back(name);
    next = running;
}

}  // namespace

std::vector<std::string> keep_until_restart(const Config& running, Config& next) {
    std::vector<std::string> changed;
    keep(running.server, next.server, "[server]", changed);
    keep(running.dns, next.dns, "[dns]", changed);
    keep(running.admin, next.admin, "[admin]", changed);
    keep(running.event_sinks, next.event_sinks, "[[event_sink]]", changed);
    keep(running.bounces, next.bounces, "[bounces]", changed);
    keep(running.tlsrpt, next.tlsrpt, "[tlsrpt]", changed);
    keep(running.suppression, next.suppression, "[suppression]", changed);
    keep(running.unsubscribe, next.unsubscribe, "[unsubscribe]", changed);
    keep(running.cluster, next.cluster, "[cluster]", changed);
    keep(running.shaping, next.shaping, "[shaping]", changed);
    keep(running.providers, next.providers, "[[provider]]", changed);
    keep(running.ip_pools, next.ip_pools, "[[ip_pool]]", changed);
    // The AUTH throttle's, and the sizes and timeout the sendmail socket and the HTTP servers
    // were opened with; the rest of [limits] is live.
    keep(running.limits.auth_failure_delay, next.limits.auth_failure_delay,
         "[limits] auth_failure_delay", changed);
    keep(running.limits.auth_failures_before_lockout, next.limits.auth_failures_before_lockout,
         "[limits] auth_failures_before_lockout", changed);
    keep(running.limits.auth_lockout, next.limits.auth_lockout, "[limits] auth_lockout", changed);
    keep(running.limits.max_message_size, next.limits.max_message_size, "[limits] max_message_size",
         changed);
    keep(running.limits.data_timeout, next.limits.data_timeout, "[limits] data_timeout", changed);
    return changed;
}

std::string missing_listener_error(const Config& config) {
    if (!config.listeners.empty()) return "";
    return config.source.string() +
           ":0: no [[listener]]: the server would take no mail (add one, e.g. address = "
           "\"127.0.0.1:2525\", mode = \"relay\")";
}

}  // namespace herald::config
