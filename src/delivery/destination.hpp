#pragma once
// Where mail for a domain goes (RFC 5321 section 5, RFC 7505): the MX hosts by preference,
// equal preferences in random order, the domain itself when it has no MX (implicit MX), each
// host with its IPv4 and IPv6 addresses. A smarthost is resolved the same way without MX.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace herald::delivery {

struct TargetHost {
    std::string name;                    // the MX host, the smarthost, or an address literal
    std::vector<std::string> addresses;  // IP addresses as text, in the order to try
    // DNSSEC validated the MX record naming the host (none: implicit MX) and its addresses:
    // only then may its TLSA records count (RFC 7672 2.2).
    bool secure = false;
};

struct Destination {
    enum class Status { ok, deferred, failed };
    Status status = Status::deferred;
    std::vector<TargetHost> hosts;  // ok: in the order to try, each with an address
    std::string reason;             // deferred or failed: "550 5.1.2 ..." for log and bounce

    bool ok() const { return status == Status::ok; }
};

class DestinationResolver {
  public:
    explicit DestinationResolver(dns::Resolver& resolver,
                                 std::uint32_t seed = std::random_device{}());

    // The hosts for the domain of a recipient address. "[192.0.2.1]" and "[IPv6:2001:db8::1]"
    // are address literals (RFC 5321 4.1.3) and are used as they are.
    boost::asio::awaitable<Destination> for_domain(std::string_view domain);

    // The addresses of one named host or IP address (a smarthost): no MX lookup. Every
    // failure is temporary: a smarthost that does not resolve is a problem to fix, not a
    // reason to bounce mail.
    boost::asio::awaitable<Destination> for_host(std::string_view host);

  private:
    struct Addresses {
        std::vector<std::string> list;
        bool secure = false;             // every answer that gave addresses was DNSSEC-validated
        bool temporary_failure = false;  // a lookup failed rather than found nothing
        std::string why;
    };
    boost::asio::awaitable<Addresses> addresses_of(std::string_view name);
    boost::asio::awaitable<Destination> from_mx(std::string_view domain,
                                                const dns::Answer<dns::MxRecord>& answer);
    boost::asio::awaitable<Destination> implicit_mx(std::string_view domain);
    void order(std::vector<dns::MxRecord>& records);

    dns::Resolver& resolver_;
    std::mt19937 random_;
};

// The IP address in "[192.0.2.1]", "[IPv6:2001:db8::1]" or, when bare_ip_allowed, "192.0.2.1"
// and "2001:db8::1"; "" when `text` is no address.
std::string ip_of_literal(std::string_view text, bool bare_ip_allowed);

}  // namespace herald::delivery
