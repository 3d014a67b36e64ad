#pragma once
// The `url` of an http transport, taken apart once (RFC 3986 3, RFC 9110 4.2): scheme, host,
// port and the request target. Only what a POST needs is accepted: no user information (a
// password in a URL ends up in logs), no percent-encoded host, nothing that would need
// escaping on the request line.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::delivery {

struct HttpUrl {
    bool tls = false;  // https
    std::string host;  // a name or an IP address, IPv6 without brackets
    std::uint16_t port = 80;
    std::string target;  // path and query, "/" when the URL has no path

    // "host:port", IPv6 in brackets: where the transport connects, for the log and results.
    std::string authority() const;
    // The Host header (RFC 9110 7.2): the port only when it is not the scheme's default.
    std::string host_header() const;

    static Result<HttpUrl> parse(std::string_view url);
};

}  // namespace herald::delivery
