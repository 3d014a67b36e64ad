#pragma once
// DNS block lists (RFC 5782): an IP address is looked up as its reversed octets (IPv4) or
// nibbles (IPv6) under the list's zone, a domain as itself under the zone. An A record in
// 127.0.0.0/8 means "listed", with the last octet saying why; NXDOMAIN means "not listed".
// Spamhaus and others answer 127.255.255.x to refuse a query (from an open or public
// resolver, or over the free-use limit): that is not a listing and must not read as one.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace herald::mailauth::dnsbl {

enum class Verdict {
    listed,      // an answer in 127.0.0.0/8 (other than 127.255.255.x)
    not_listed,  // NXDOMAIN (or no A record)
    refused,     // 127.255.255.x: the list refused to answer this resolver
    error,       // DNS failure, or an answer outside 127.0.0.0/8 (a hijacking resolver)
};
std::string_view to_string(Verdict verdict);

struct Listing {
    Verdict verdict = Verdict::error;
    std::string zone;
    std::string query;                 // the name looked up
    std::vector<std::string> answers;  // the A records, "127.0.0.2", ...
    std::string reason;                // the list's TXT text when listed; else what happened
};

// "192.0.2.1" + "zen.example" -> "1.2.0.192.zen.example"; std::nullopt when `ip` is not
// an address.
std::optional<std::string> ip_query_name(std::string_view ip, std::string_view zone);

// What the A answer to a block-list query means (pure).
Verdict interpret(const dns::Answer<std::string>& answer);

boost::asio::awaitable<Listing> lookup_ip(dns::Resolver& resolver, const std::string& ip,
                                          const std::string& zone);
// A domain-based list (a DBL/URIBL): the domain itself under the zone.
boost::asio::awaitable<Listing> lookup_domain(dns::Resolver& resolver, const std::string& domain,
                                              const std::string& zone);

}  // namespace herald::mailauth::dnsbl
