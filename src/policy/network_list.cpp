#include "policy/network_list.hpp"

#include <algorithm>

namespace herald::policy {

Result<NetworkList> NetworkList::parse(const std::vector<std::string>& networks) {
    NetworkList list;
    for (const auto& text : networks) {
        auto cidr = config::Cidr::parse(text);
        if (!cidr) return Error{"'" + text + "' is not a network in CIDR notation"};
        list.networks_.push_back(*cidr);
    }
    return list;
}

bool NetworkList::contains(std::string_view ip) const {
    auto address = config::parse_ip(ip);
    return address && std::any_of(networks_.begin(), networks_.end(),
                                  [&](const config::Cidr& net) { return net.contains(*address); });
}

}  // namespace herald::policy
