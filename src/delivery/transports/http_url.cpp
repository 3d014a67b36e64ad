#include "delivery/transports/http_url.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>

namespace herald::delivery {

namespace {

constexpr std::uint16_t kHttpPort = 80;
constexpr std::uint16_t kHttpsPort = 443;

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char p, char c) {
               return std::tolower(static_cast<unsigned char>(c)) == p;
           });
}

// RFC 1123 2.1 host names (and IPv4 addresses, which look the same).
bool valid_host_name(std::string_view host) {
    return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

// RFC 9112 3.2: the request target is visible ASCII; anything else must be percent-encoded
// in the configuration already.
bool valid_target(std::string_view target) {
    return std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool is_ipv6(std::string_view host) {
    return host.find(':') != std::string_view::npos;
}

}  // namespace

std::string HttpUrl::authority() const {
    const std::string h = is_ipv6(host) ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string HttpUrl::host_header() const {
    const std::string h = is_ipv6(host) ? "[" + host + "]" : host;
    const bool default_port = port == (tls ? kHttpsPort : kHttpPort);
    return default_port ? h : h + ":" + std::to_string(port);
}

Result<HttpUrl> HttpUrl::parse(std::string_view url) {
    HttpUrl parsed;
    std::string_view rest;
    if (starts_with_nocase(url, "https://")) {
        parsed.tls = true;
        parsed.port = kHttpsPort;
        rest = url.substr(8);
    } else if (starts_with_nocase(url, "http://")) {
        rest = url.substr(7);
    } else {
        return Error{"the url must start with http:// or https://"};
    }
    rest = rest.substr(0, rest.find('#'));  // RFC 9110 4.2.4: a fragment is never sent
    const std::size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    const std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
    if (authority.find('@') != std::string_view::npos) {
        return Error{"the url must not hold a user name or password"};
    }
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return Error{"the url has an unclosed ["};
        parsed.host = std::string(authority.substr(1, close - 1));
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(parsed.host, ec);
        if (ec) return Error{"the url's host is not an IPv6 address"};
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) return Error{"the url's host is malformed"};
        port = after.empty() ? after : after.substr(1);
    } else {
        const std::size_t colon = authority.find(':');
        parsed.host = std::string(authority.substr(0, colon));
        if (!valid_host_name(parsed.host)) return Error{"the url's host is malformed"};
        port = colon == std::string_view::npos ? "" : authority.substr(colon + 1);
    }
    if (!port.empty()) {
        unsigned value = 0;
        const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
            return Error{"the url's port is not a number from 1 to 65535"};
        }
        parsed.port = static_cast<std::uint16_t>(value);
    }
    if (!valid_target(target)) {
        return Error{"the url's path must be visible ASCII (percent-encode the rest)"};
    }
    parsed.target = target.empty()            ? "/"
                    : target.starts_with('?') ? "/" + std::string(target)
                                              : std::string(target);
    return parsed;
}

}  // namespace herald::delivery
