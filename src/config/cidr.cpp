#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace herald::config {

namespace {

constexpr unsigned kMappedPrefixBits = 96;  // ::ffff:0:0/96

}  // namespace

std::optional<IpBytes> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    const std::string copy(text);
    IpBytes bytes{};
    if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) return bytes;
    std::array<std::uint8_t, 4> v4{};
    if (inet_pton(AF_INET, copy.c_str(), v4.data()) != 1) return std::nullopt;
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    std::copy(v4.begin(), v4.end(), bytes.begin() + 12);
    return bytes;
}

Cidr::Cidr(const IpBytes& network, unsigned prefix_bits) : prefix_bits_(prefix_bits) {
    // Host bits are cleared so that "127.0.0.1/8" means 127.0.0.0/8.
    for (unsigned i = 0; i < network.size(); ++i) {
        unsigned bits_here = prefix_bits > i * 8 ? std::min(prefix_bits - i * 8, 8U) : 0;
        auto mask = static_cast<std::uint8_t>(bits_here == 0 ? 0 : 0xff << (8 - bits_here));
        network_[i] = network[i] & mask;
    }
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = parse_ip(text.substr(0, slash));
    if (!address) return std::nullopt;
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    const unsigned max_bits = v4 ? 32 : 128;
    unsigned bits = max_bits;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            bits > max_bits) {
            return std::nullopt;
        }
    }
    return Cidr(*address, v4 ? kMappedPrefixBits + bits : bits);
}

bool Cidr::contains(const IpBytes& address) const {
    return Cidr(address, prefix_bits_).network_ == network_;
}

}  // namespace herald::config
