#include "dns/rdata.hpp"

#include <arpa/inet.h>

namespace herald::dns {
namespace {

void append_label_byte(std::string& out, std::uint8_t byte) {
    if (byte > 0x20 && byte < 0x7f && byte != '.' && byte != '\\') {
        out += static_cast<char>(byte);
        return;
    }
    const char escaped[] = {'\\', static_cast<char>('0' + byte / 100),
                            static_cast<char>('0' + byte / 10 % 10),
                            static_cast<char>('0' + byte % 10)};
    out.append(escaped, sizeof escaped);
}

std::optional<std::string> decode_address(Rdata rdata, int family, std::size_t size) {
    if (rdata.size() != size) return std::nullopt;
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(family, rdata.data(), text, sizeof text)) return std::nullopt;
    return std::string(text);
}

}  // namespace

std::optional<std::string> decode_name(Rdata rdata) {
    std::string name;
    std::size_t at = 0;
    while (at < rdata.size()) {
        const std::uint8_t length = rdata[at++];
        if (length == 0) {
            // RFC 1035 3.1: a name is at most 255 octets; the root label must end the rdata.
            if (at != rdata.size() || at > 255) return std::nullopt;
            return name;
        }
        // 0xc0 and up are compression pointers or extended labels (RFC 1035 4.1.4, RFC 6891).
        if (length > 63 || length > rdata.size() - at) return std::nullopt;
        if (!name.empty()) name += '.';
        for (std::size_t end = at + length; at < end; ++at) append_label_byte(name, rdata[at]);
    }
    return std::nullopt;  // no root label
}

std::optional<MxRecord> decode_mx(Rdata rdata) {
    if (rdata.size() < 3) return std::nullopt;
    auto host = decode_name(rdata.subspan(2));
    if (!host) return std::nullopt;
    return MxRecord{static_cast<std::uint16_t>(rdata[0] << 8 | rdata[1]), std::move(*host)};
}

std::optional<std::string> decode_txt(Rdata rdata) {
    std::string text;
    std::size_t at = 0;
    while (at < rdata.size()) {
        const std::uint8_t length = rdata[at++];
        if (length > rdata.size() - at) return std::nullopt;
        text.append(reinterpret_cast<const char*>(rdata.data() + at), length);
        at += length;
    }
    return text;
}

std::optional<std::string> decode_ipv4(Rdata rdata) {
    return decode_address(rdata, AF_INET, 4);
}
std::optional<std::string> decode_ipv6(Rdata rdata) {
    return decode_address(rdata, AF_INET6, 16);
}

std::optional<TlsaRecord> decode_tlsa(Rdata rdata) {
    if (rdata.size() < 4) return std::nullopt;
    return TlsaRecord{
        rdata[0], rdata[1], rdata[2],
        std::string(reinterpret_cast<const char*>(rdata.data() + 3), rdata.size() - 3)};
}

}  // namespace herald::dns
