#pragma once
// The TLS check of `herald doctor`: connect to a mail server as a sender would (STARTTLS,
// or TLS from the first byte on port 465), and report the protocol, whether the certificate
// chain verifies, whether it names the host, and how long until it expires.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"
#include "doctor/finding.hpp"

namespace herald::doctor {

struct TlsTarget {
    std::string host;  // a host name, or an IP address
    std::uint16_t port = 25;
    bool implicit = false;  // TLS from the first byte (port 465, or "smtps://")
};

// "HOST:PORT", "[IPv6]:PORT" or "smtps://HOST:PORT"; port 465 means implicit TLS.
Result<TlsTarget> parse_tls_target(std::string_view text);

struct TlsProbeOptions {
    std::string helo = "localhost";  // the name said in EHLO before STARTTLS
    std::filesystem::path ca_file;   // trusted beside the system's CAs
    std::chrono::seconds timeout{20};
    int expiry_warning_days = 14;
};

boost::asio::awaitable<std::vector<Finding>> check_tls(dns::Resolver& resolver,
                                                       const TlsTarget& target,
                                                       const TlsProbeOptions& options);

}  // namespace herald::doctor
