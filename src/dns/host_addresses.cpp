#include "dns/host_addresses.hpp"

#include <boost/asio/ip/address.hpp>

namespace herald::dns {

boost::asio::awaitable<Result<std::vector<std::string>>> host_addresses(Resolver& resolver,
                                                                        const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (!ec) co_return std::vector<std::string>{host};
    std::vector<std::string> ips;
    auto v4 = co_await resolver.a(host);
    ips.insert(ips.end(), v4.records.begin(), v4.records.end());
    auto v6 = co_await resolver.aaaa(host);
    ips.insert(ips.end(), v6.records.begin(), v6.records.end());
    if (ips.empty()) {
        co_return Error{"cannot resolve " + host + ": " + std::string(to_string(v4.status))};
    }
    co_return ips;
}

}  // namespace herald::dns
