#include "mailauth/spf/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace herald::mailauth::spf {
namespace {

// "::ffff:a.b.c.d" (RFC 4291 2.5.5.2)
bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
    return std::all_of(bytes.begin(), bytes.begin() + 10, [](auto b) { return b == 0; }) &&
           bytes[10] == 0xff && bytes[11] == 0xff;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse_ip4(std::string_view text) {
    std::array<std::uint8_t, 16> bytes{};
    std::size_t octet = 0;
    std::size_t pos = 0;
    while (true) {
        const std::size_t start = pos;
        unsigned value = 0;
        while (pos < text.size() && pos - start < 4 && text[pos] >= '0' && text[pos] <= '9') {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
        }
        const std::size_t digits = pos - start;
        // qnum (RFC 7208 5.6): 1 to 3 digits, no leading zero, at most 255.
        if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && text[start] == '0')) {
            return std::nullopt;
        }
        bytes[octet++] = static_cast<std::uint8_t>(value);
        if (octet == 4) break;
        if (pos >= text.size() || text[pos] != '.') return std::nullopt;
        ++pos;
    }
    if (pos != text.size()) return std::nullopt;
    return IpAddress(true, bytes);
}

std::optional<IpAddress> IpAddress::parse_ip6(std::string_view text) {
    if (text.size() > 64 || text.find(':') == std::string_view::npos) return std::nullopt;
    const std::string copy(text);
    std::array<std::uint8_t, 16> bytes{};
    if (::inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1) return std::nullopt;
    return IpAddress(false, bytes);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (auto v4 = parse_ip4(text)) return v4;
    auto v6 = parse_ip6(text);
    if (!v6 || !is_v4_mapped(v6->bytes_)) return v6;
    std::array<std::uint8_t, 16> bytes{};
    std::copy(v6->bytes_.begin() + 12, v6->bytes_.end(), bytes.begin());
    return IpAddress(true, bytes);
}

bool IpAddress::in(const IpAddress& network, unsigned prefix) const {
    if (v4_ != network.v4_ || prefix > size() * 8) return false;
    const std::size_t whole = prefix / 8;
    if (!std::equal(bytes_.begin(), bytes_.begin() + whole, network.bytes_.begin())) return false;
    const unsigned rest = prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (bytes_[whole] & mask) == (network.bytes_[whole] & mask);
}

std::string IpAddress::to_string() const {
    char out[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), out, sizeof out);
    return out;
}

std::string IpAddress::dotted() const {
    if (v4_) return to_string();
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string nibbles;
    for (const std::uint8_t byte : bytes_) {
        if (!nibbles.empty()) nibbles += '.';
        nibbles += hex[byte >> 4];
        nibbles += '.';
        nibbles += hex[byte & 0x0f];
    }
    return nibbles;
}

}  // namespace herald::mailauth::spf
