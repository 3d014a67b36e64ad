#pragma once
// Forward-confirmed reverse DNS: the PTR names of an address, and of those the one whose
// A (IPv4) or AAAA (IPv6) records lead back to the address. Receivers such as Gmail and
// Office 365 refuse or junk mail from an address without it; RFC 8601 calls it iprev.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "dns/resolver.hpp"

namespace herald::mailauth {

struct ReverseDns {
    enum class Status {
        pass,       // a PTR name resolves back to the address
        none,       // no PTR record
        mismatch,   // PTR names, none of them resolving back to the address
        temperror,  // DNS failed: try again later
        invalid,    // the address is not an IP address
    };
    Status status = Status::none;
    std::vector<std::string> names;  // the PTR names, as published
    std::string confirmed;           // the name that resolves back, when status is pass
    std::string detail;              // what was found, for a log line or a report
};

// At most 10 PTR names are followed (the limit of RFC 7208 5.5 and RFC 8601 3).
boost::asio::awaitable<ReverseDns> check_reverse_dns(dns::Resolver& resolver,
                                                     const std::string& ip);

}  // namespace herald::mailauth
