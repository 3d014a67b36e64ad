#include "dns/reverse_name.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>

namespace herald::dns {

std::optional<std::string> reverse_name(std::string_view ip) {
    const std::string text(ip);  // inet_pton needs a terminated string
    if (text.find('\0') != std::string::npos) return std::nullopt;
    std::array<std::uint8_t, 16> bytes{};
    if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
        std::string name;
        for (int i = 3; i >= 0; --i) name += std::to_string(bytes[i]) + ".";
        return name + "in-addr.arpa";
    }
    if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
        static constexpr char hex[] = "0123456789abcdef";
        std::string name;
        for (int i = 15; i >= 0; --i) {
            name += {hex[bytes[i] & 0xf], '.', hex[bytes[i] >> 4], '.'};
        }
        return name + "ip6.arpa";
    }
    return std::nullopt;
}

}  // namespace herald::dns
