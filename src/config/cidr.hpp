#pragma once
// An IP network in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or one address). IPv4 is
// kept as IPv4-mapped IPv6 (RFC 4291 2.5.5.2), so a client that reaches a dual-stack socket
// as ::ffff:10.1.2.3 is inside 10.0.0.0/8 as it should be.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace herald::config {

using IpBytes = std::array<std::uint8_t, 16>;

// An IPv4 or IPv6 literal as 16 bytes (IPv4 mapped); nullopt when it is not one.
std::optional<IpBytes> parse_ip(std::string_view text);

class Cidr {
  public:
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpBytes& address) const;

  private:
    Cidr(const IpBytes& network, unsigned prefix_bits);
    IpBytes network_{};
    unsigned prefix_bits_ = 0;  // of the 128-bit form
};

}  // namespace herald::config
