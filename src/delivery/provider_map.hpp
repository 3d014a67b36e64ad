#pragma once
// Which mailbox provider serves a destination (issue 17, MX rollup): the one whose patterns
// match every MX host the destination resolved to. One host outside them (a domain that sends
// its mail to Google and to its own backup MX) keeps the domain its own destination: its
// limits must not count against the provider, nor the provider's against it. Sans I/O.
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace herald::delivery {

// "*.google.com" matches any host below google.com (not google.com itself); anything else
// matches that one host. Case-insensitive; a trailing dot on the host is ignored.
bool host_matches(std::string_view pattern, std::string_view host);

// The key a provider's connections are counted and parked under, beside domain names.
std::string provider_key(std::string_view provider);

class ProviderMap {
  public:
    explicit ProviderMap(std::vector<config::Provider> providers);

    // The provider of every host in `mx_hosts`, or null (none, or not all the same).
    const config::Provider* provider_of(const std::vector<std::string>& mx_hosts) const;

  private:
    std::vector<config::Provider> providers_;
};

}  // namespace herald::delivery
