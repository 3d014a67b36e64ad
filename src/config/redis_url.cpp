#include "config/redis_url.hpp"

#include <charconv>
#include <optional>

namespace herald::config {

namespace {

std::optional<std::string> percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        unsigned value = 0;
        if (i + 2 >= text.size()) return std::nullopt;
        auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
        if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

template <typename Number>
bool read_number(std::string_view text, Number& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

Status read_credentials(std::string_view text, RedisUrl& url) {
    if (text.find_first_of(" \t") != std::string_view::npos) {
        return Error{"a blank in the user or password (write it %20)"};
    }
    const auto colon = text.find(':');
    auto user = percent_decoded(text.substr(0, colon));
    auto password = percent_decoded(colon == std::string_view::npos ? "" : text.substr(colon + 1));
    if (!user || !password) return Error{"a bad %-escape in the user or password"};
    if (colon == std::string_view::npos) {
        // redis://secret@host: a password alone, as most clients read it.
        url.password = std::move(*user);
    } else {
        url.user = std::move(*user);
        url.password = std::move(*password);
    }
    return ok_status();
}

Status read_host_port(std::string_view text, RedisUrl& url) {
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return Error{"an IPv6 address without its ']'"};
        url.host = std::string(text.substr(1, close - 1));
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return Error{"junk after the address"};
        if (!rest.empty()) port = rest.substr(1);
    } else {
        const auto colon = text.rfind(':');
        url.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) port = text.substr(colon + 1);
    }
    if (url.host.empty()) return Error{"no host"};
    if (url.host.find_first_of(" \t/@") != std::string::npos) return Error{"a bad host"};
    if (!port.empty() && (!read_number(port, url.port) || url.port == 0)) {
        return Error{"port '" + std::string(port) + "' is out of range (1-65535)"};
    }
    return ok_status();
}

}  // namespace

Result<RedisUrl> parse_redis_url(std::string_view text) {
    RedisUrl url;
    std::string_view rest;
    if (text.starts_with("redis://")) {
        rest = text.substr(8);
    } else if (text.starts_with("rediss://")) {
        url.tls = true;
        rest = text.substr(9);
    } else {
        return Error{"must start with redis:// or rediss://"};
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        const auto db = rest.substr(slash + 1);
        if (!db.empty() && (!read_number(db, url.db) || url.db > 1000)) {
            return Error{"database '" + std::string(db) + "' is not a number"};
        }
    }
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        if (auto status = read_credentials(authority.substr(0, at), url); !status) {
            return Error{status.error()};
        }
        authority = authority.substr(at + 1);
    }
    if (auto status = read_host_port(authority, url); !status) return Error{status.error()};
    return url;
}

std::string RedisUrl::redacted() const {
    std::string out = tls ? "rediss://" : "redis://";
    if (!user.empty()) out += user + (password.empty() ? "@" : ":***@");
    if (user.empty() && !password.empty()) out += "***@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    out += ":" + std::to_string(port) + "/" + std::to_string(db);
    return out;
}

}  // namespace herald::config
