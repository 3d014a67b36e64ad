#pragma once
// The textual formats of config values (docs/config.md "Value formats"): durations, sizes,
// rates, host names, "host:port" and crypt(3) hashes. Pure functions, no I/O.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ascii_case.hpp"

#include "base/result.hpp"
#include "config/config.hpp"

namespace herald::config {

// The longest duration any setting takes: ten years.
inline constexpr Seconds kMaxDuration{10LL * 366 * 24 * 3600};

// "30s", "5m", "1h", "5d", "2w" or a sum such as "1h30m". At most kMaxDuration.
std::optional<Seconds> parse_duration(std::string_view text);

// "35000000", "512K", "35M", "1G": K, M and G are binary multiples (1024).
std::optional<std::size_t> parse_size(std::string_view text);

// "100/hour", "10/minute", "5/second", "1000/day": a positive count per window.
struct Rate {
    std::uint64_t count = 0;
    Seconds window{0};
};
std::optional<Rate> parse_rate(std::string_view text);

// ASCII letters in lower case, other bytes as they are: how domain names are compared
// (RFC 4343), free of locale rules.
using herald::ascii_lowercase;

// Dot-separated letter-digit-hyphen labels (RFC 1035 2.3.1, RFC 1123 2.1), no trailing dot.
bool is_domain_name(std::string_view name);
// A domain name of at least two labels whose last label is not numeric: what EHLO needs
// (RFC 5321 4.1.1.1).
bool is_fqdn(std::string_view name);
// An IPv4 or IPv6 literal (no brackets, no zone).
bool is_ip_address(std::string_view text);

// "127.0.0.1:2525", "[::1]:2525" or "localhost:2525"; port 1-65535.
struct HostPort {
    std::string host;  // without brackets
    std::uint16_t port = 0;
};
Result<HostPort> parse_host_port(std::string_view text);
// "host:port" with brackets around an IPv6 host, as parse_host_port reads it.
std::string format_host_port(const HostPort& hp);

// A modern crypt(3) hash: yescrypt ($y$, $gy$), scrypt ($7$), bcrypt ($2b$, $2y$, $2a$)
// or SHA-crypt ($6$, $5$). DES and MD5 hashes are refused: they are cracked in minutes.
bool looks_like_crypt_hash(std::string_view hash);

}  // namespace herald::config
