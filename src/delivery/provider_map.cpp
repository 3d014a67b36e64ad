#include "delivery/provider_map.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"

namespace herald::delivery {

// On every delivery to a domain: compared in place, nothing allocated.
bool host_matches(std::string_view pattern, std::string_view host) {
    if (host.ends_with('.')) host.remove_suffix(1);
    if (!pattern.starts_with("*.")) return equals_ignoring_case(pattern, host);
    const std::string_view suffix = pattern.substr(1);  // ".google.com"
    return host.size() > suffix.size() &&
           equals_ignoring_case(host.substr(host.size() - suffix.size()), suffix);
}

std::string provider_key(std::string_view provider) {
    return "provider " + std::string(provider);
}

ProviderMap::ProviderMap(std::vector<config::Provider> providers)
    : providers_(std::move(providers)) {}

const config::Provider* ProviderMap::provider_of(const std::vector<std::string>& mx_hosts) const {
    if (mx_hosts.empty()) return nullptr;
    for (const auto& provider : providers_) {
        auto matches = [&](const std::string& host) {
            return std::any_of(provider.mx.begin(), provider.mx.end(),
                               [&](const std::string& p) { return host_matches(p, host); });
        };
        if (std::all_of(mx_hosts.begin(), mx_hosts.end(), matches)) return &provider;
    }
    return nullptr;
}

}  // namespace herald::delivery
