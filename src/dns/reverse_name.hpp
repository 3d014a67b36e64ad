#pragma once
// The owner name of an address's PTR record: in-addr.arpa for IPv4 (RFC 1035 3.5), nibbles
// under ip6.arpa for IPv6 (RFC 3596 2.5).
#include <optional>
#include <string>
#include <string_view>

namespace herald::dns {

// "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; std::nullopt when `ip` is not an address.
std::optional<std::string> reverse_name(std::string_view ip);

}  // namespace herald::dns
