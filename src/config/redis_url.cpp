#include "config/redis_url.hpp"

#include <algorithm>
#include <array>
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

Status read_endpoint(std::string_view text, RedisEndpoint& out) {
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return Error{"an IPv6 address without its ']'"};
        out.host = std::string(text.substr(1, close - 1));
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return Error{"junk after the address"};
        if (!rest.empty()) port = rest.substr(1);
    } else {
        const auto colon = text.rfind(':');
        out.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) port = text.substr(colon + 1);
    }
    if (out.host.empty()) return Error{"no host"};
    if (out.host.find_first_of(" \t/@,#") != std::string::npos) return Error{"a bad host"};
    if (!port.empty() && (!read_number(port, out.port) || out.port == 0)) {
        return Error{"port '" + std::string(port) + "' is out of range (1-65535)"};
    }
    return ok_status();
}

// host:port[,host:port...], each port 26379 unless given: Sentinel's own port.
Status read_sentinels(std::string_view text, RedisUrl& url) {
    while (true) {
        const auto comma = text.find(',');
        RedisEndpoint sentinel{.port = 26379};
        if (auto status = read_endpoint(text.substr(0, comma), sentinel); !status) return status;
        url.sentinels.push_back(std::move(sentinel));
        if (comma == std::string_view::npos) return ok_status();
        text = text.substr(comma + 1);
    }
}

struct Scheme {
    std::string_view prefix;
    bool tls;
    bool sentinels;
};

constexpr std::array kSchemes{Scheme{"redis://", false, false}, Scheme{"rediss://", true, false},
                              Scheme{"redis-sentinel://", false, true},
                              Scheme{"rediss-sentinel://", true, true}};

}  // namespace

Result<RedisUrl> parse_redis_url(std::string_view text) {
    const auto* scheme = std::find_if(kSchemes.begin(), kSchemes.end(),
                                      [&](const Scheme& s) { return text.starts_with(s.prefix); });
    if (scheme == kSchemes.end()) {
        return Error{
            "must start with redis://, rediss://, redis-sentinel:// or rediss-sentinel://"};
    }
    RedisUrl url;
    url.tls = scheme->tls;
    std::string_view rest = text.substr(scheme->prefix.size());
    if (scheme->sentinels) {
        const auto hash = rest.find('#');
        if (hash == std::string_view::npos || hash + 1 == rest.size()) {
            return Error{"no master name: end it with #name, the name the sentinels monitor"};
        }
        url.master = std::string(rest.substr(hash + 1));
        if (url.master.find_first_of(" \t/@#") != std::string::npos) {
            return Error{"a bad master name"};
        }
        rest = rest.substr(0, hash);
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
    if (scheme->sentinels) {
        if (auto status = read_sentinels(authority, url); !status) return Error{status.error()};
        url.host.clear();  // until a sentinel names the master
        return url;
    }
    RedisEndpoint redis;
    if (auto status = read_endpoint(authority, redis); !status) return Error{status.error()};
    url.host = std::move(redis.host);
    url.port = redis.port;
    return url;
}

std::string RedisEndpoint::to_string() const {
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return shown + ":" + std::to_string(port);
}

std::string RedisUrl::redacted() const {
    std::string out =
        std::string(tls ? "rediss" : "redis") + (uses_sentinels() ? "-sentinel://" : "://");
    if (!user.empty()) out += user + (password.empty() ? "@" : ":***@");
    if (user.empty() && !password.empty()) out += "***@";
    if (uses_sentinels()) {
        for (std::size_t i = 0; i < sentinels.size(); ++i) {
            out += (i ? "," : "") + sentinels[i].to_string();
        }
        return out + "/" + std::to_string(db) + "#" + master;
    }
    out += RedisEndpoint{host, port}.to_string();
    return out + "/" + std::to_string(db);
}

}  // namespace herald::config
