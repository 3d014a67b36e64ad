#pragma once
// A connection's peer as the logs, policies and limits name it: an IPv4 client of a dual-stack
// socket is its IPv4 address ("192.0.2.1"), never "::ffff:192.0.2.1", so that one client is
// one name in a relay network, a rate limit or a rejectlog line.
#include <boost/asio/ip/address.hpp>

#include <string>

namespace herald {

inline boost::asio::ip::address unmapped(const boost::asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    }
    return address;
}

}  // namespace herald
