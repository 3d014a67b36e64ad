#pragma once
// The client address as SPF sees it (RFC 7208 5.6): IPv4 or IPv6, never both, with an
// IPv4-mapped IPv6 address (::ffff:192.0.2.1) taken as the IPv4 address it carries (5/9/2,
// RFC 4291 2.5.5.2), so that it matches ip4: and A records and never ip6: or AAAA.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::mailauth::spf {

class IpAddress {
  public:
    // The client's address: dotted quad or IPv6 text; IPv4-mapped IPv6 becomes IPv4.
    static std::optional<IpAddress> parse(std::string_view text);
    // The ip4-network of an ip4: mechanism: four decimal octets, no leading zeros (5.6).
    static std::optional<IpAddress> parse_ip4(std::string_view text);
    // The ip6-network of an ip6: mechanism, kept IPv6 even when it is IPv4-mapped.
    static std::optional<IpAddress> parse_ip6(std::string_view text);

    bool is_v4() const { return v4_; }
    // Whether the first `prefix` bits equal those of `network`, of the same family.
    bool in(const IpAddress& network, unsigned prefix) const;
    // Presentation form: "192.0.2.1", or RFC 5952 "2001:db8::1" (the c macro, 7.3).
    std::string to_string() const;
    // The i macro (7.3): the dotted quad, or 32 dot-separated hex nibbles for IPv6.
    std::string dotted() const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;

  private:
    IpAddress(bool v4, const std::array<std::uint8_t, 16>& bytes) : v4_(v4), bytes_(bytes) {}
    std::size_t size() const { return v4_ ? 4 : 16; }

    bool v4_ = true;
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first four bytes
};

}  // namespace herald::mailauth::spf
