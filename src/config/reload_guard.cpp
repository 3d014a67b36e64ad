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

std::string missing_listener_error(const Config& config) {
    if (!config.listeners.empty()) return "";
    return config.source.string() +
           ":0: no [[listener]]: the server would take no mail (add one, e.g. address = "
           "\"127.0.0.1:2525\", mode = \"relay\")";
}

}  // namespace herald::config
