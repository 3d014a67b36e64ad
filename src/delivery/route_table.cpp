#include "delivery/route_table.hpp"

#include <algorithm>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"

namespace herald::delivery {

bool route_matches(std::string_view pattern, std::string_view sender) {
    if (pattern == "*") return true;
    if (sender.empty()) return false;
    if (pattern.starts_with("*@"))
        return equals_ignoring_case(pattern.substr(2), domain_of(sender));
    return local_part_of(pattern) == local_part_of(sender) &&
           equals_ignoring_case(domain_of(pattern), domain_of(sender));
}

const config::Transport* routed_transport(const config::Config& config, std::string_view sender) {
    for (const auto& route : config.routes) {
        if (route_matches(route.sender, sender)) return config.find_transport(route.transport);
    }
    return nullptr;
}

RouteTable::RouteTable(const config::Config& config)
    : local_domains_(config.local.domains), routes_(config.routes) {
    // No route at all: nothing leaves the machine.
    if (routes_.empty()) routes_.push_back({.sender = "*", .transport = std::string(kNull)});
}

bool RouteTable::is_local(std::string_view recipient) const {
    const std::string_view domain = domain_of(recipient);
    return std::any_of(local_domains_.begin(), local_domains_.end(),
                       [&](const std::string& d) { return equals_ignoring_case(d, domain); });
}

std::optional<std::size_t> RouteTable::route_for(std::string_view sender) const {
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        if (route_matches(routes_[i].sender, sender)) return i;
    }
    return std::nullopt;
}

std::string RouteTable::transport_name(std::string_view sender, std::string_view recipient) const {
    if (is_local(recipient)) return std::string(kLocal);
    const auto route = route_for(sender);
    return route ? routes_[*route].transport : std::string("none");
}

}  // namespace herald::delivery
