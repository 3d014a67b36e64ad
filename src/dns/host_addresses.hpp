#pragma once
// The addresses of a host through Herald's own resolver, as the MX hosts are resolved: IPv4
// first, then IPv6. For the HTTPS peers Herald finds in DNS (MTA-STS policy hosts, TLS-RPT
// endpoints), never through the system's resolver.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace herald::dns {

// An address literal is its own answer.
boost::asio::awaitable<Result<std::vector<std::string>>> host_addresses(Resolver& resolver,
                                                                        const std::string& host);

}  // namespace herald::dns
