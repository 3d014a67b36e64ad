#include "config/value_formats.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace herald::config {

namespace {

constexpr auto kMaxDurationSeconds = static_cast<std::uint64_t>(kMaxDuration.count());

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads the leading run of digits of text into value; returns how many characters it took
// (0 when there are none or the number does not fit).
std::size_t take_number(std::string_view text, std::uint64_t& value) {
    auto digits = static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), is_digit) -
                                           text.begin());
    if (digits == 0) return 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
    return ec == std::errc{} ? digits : 0;
}

std::optional<std::uint64_t> unit_seconds(char unit) {
    switch (ascii_lower(unit)) {
        case 's':
            return 1;
        case 'm':
            return 60;
        case 'h':
            return 3600;
        case 'd':
            return 24 * 3600;
        case 'w':
            return 7 * 24 * 3600;
        default:
            return std::nullopt;
    }
}

bool is_label(std::string_view label) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    return std::all_of(label.begin(), label.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

Result<std::uint16_t> parse_port(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || take_number(text, value) != text.size() || value == 0 || value > 65535) {
        return Error{"port '" + std::string(text) + "' is out of range (1-65535)"};
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<Seconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t total = 0;
    while (!text.empty()) {
        std::uint64_t count = 0;
        auto digits = take_number(text, count);
        if (digits == 0 || digits == text.size()) return std::nullopt;
        auto unit = unit_seconds(text[digits]);
        if (!unit || count > kMaxDurationSeconds / *unit) return std::nullopt;
        total += count * *unit;
        if (total > kMaxDurationSeconds) return std::nullopt;
        text.remove_prefix(digits + 1);
    }
    return Seconds{static_cast<Seconds::rep>(total)};
}

std::optional<std::size_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    auto digits = take_number(text, value);
    if (digits == 0) return std::nullopt;
    auto suffix = text.substr(digits);
    std::uint64_t multiplier = 1;
    if (suffix.size() == 1) {
        switch (ascii_lower(suffix[0])) {
            case 'k':
                multiplier = 1ULL << 10;
                break;
            case 'm':
                multiplier = 1ULL << 20;
                break;
            case 'g':
                multiplier = 1ULL << 30;
                break;
            default:
                return std::nullopt;
        }
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    if (value > std::numeric_limits<std::size_t>::max() / multiplier) return std::nullopt;
    return static_cast<std::size_t>(value * multiplier);
}

std::optional<Rate> parse_rate(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, std::int64_t>, 4> kWindows{
        {{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 24 * 3600}}};
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::uint64_t count = 0;
    if (take_number(text, count) != slash || count == 0) return std::nullopt;
    auto window = text.substr(slash + 1);
    for (const auto& [name, seconds] : kWindows) {
        if (window == name) return Rate{count, Seconds{seconds}};
    }
    return std::nullopt;
}

bool is_domain_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    while (true) {
        auto dot = name.find('.');
        if (!is_label(name.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        name.remove_prefix(dot + 1);
    }
}

bool is_fqdn(std::string_view name) {
    if (!is_domain_name(name)) return false;
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return false;
    auto top = name.substr(dot + 1);
    return !std::all_of(top.begin(), top.end(), is_digit);
}

bool is_ip_address(std::string_view text) {
    if (text.size() > 64) return false;
    std::string copy(text);
    std::array<unsigned char, 16> buffer{};
    return inet_pton(AF_INET, copy.c_str(), buffer.data()) == 1 ||
           inet_pton(AF_INET6, copy.c_str(), buffer.data()) == 1;
}

Result<HostPort> parse_host_port(std::string_view text) {
    std::string_view host;
    std::string_view rest;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) return Error{"missing ']' after the IPv6 address"};
        host = text.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos || !is_ip_address(host)) {
            return Error{"'" + std::string(host) + "' is not an IPv6 address"};
        }
        rest = text.substr(close + 1);
        if (!rest.starts_with(':')) return Error{"expected host:port, e.g. [::1]:2525"};
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return Error{"expected host:port, e.g. 127.0.0.1:2525"};
        host = text.substr(0, colon);
        rest = text.substr(colon);
        if (host.find(':') != std::string_view::npos) {
            return Error{"an IPv6 address needs brackets, e.g. [::1]:2525"};
        }
        if (!is_ip_address(host) && !is_domain_name(host)) {
            return Error{"'" + std::string(host) + "' is neither an IP address nor a host name"};
        }
    }
    auto port = parse_port(rest.substr(1));
    if (!port) return Error{port.error()};
    return HostPort{std::string(host), *port};
}

std::string format_host_port(const HostPort& hp) {
    bool v6 = hp.host.find(':') != std::string::npos;
    return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

bool looks_like_crypt_hash(std::string_view hash) {
    static constexpr std::array<std::string_view, 8> kPrefixes{"$y$",  "$gy$", "$7$", "$2b$",
                                                               "$2y$", "$2a$", "$6$", "$5$"};
    if (hash.size() > 512) return false;
    if (std::none_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view p) { return hash.starts_with(p); })) {
        return false;
    }
    bool charset_ok = std::all_of(hash.begin(), hash.end(), [](char c) {
        return is_alpha(c) || is_digit(c) ||
               std::string_view("./$=,-").find(c) != std::string_view::npos;
    });
    return charset_ok && std::count(hash.begin(), hash.end(), '$') >= 3 && !hash.ends_with('$');
}

}  // namespace herald::config
