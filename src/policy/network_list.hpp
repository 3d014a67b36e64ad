#pragma once
// The networks whose clients may relay without authenticating ([relay] networks).
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/cidr.hpp"

namespace herald::policy {

class NetworkList {
  public:
    NetworkList() = default;  // empty: contains nothing
    // "10.0.0.0/8", "2001:db8::/32", "192.0.2.7": the first entry that is not one fails it.
    static Result<NetworkList> parse(const std::vector<std::string>& networks);

    // ip: a client address as the socket reports it ("192.0.2.7", "::1", "::ffff:10.1.2.3").
    // Anything that is not an IP address is in no network.
    bool contains(std::string_view ip) const;
    bool empty() const { return networks_.empty(); }

  private:
    std::vector<config::Cidr> networks_;
};

}  // namespace herald::policy
