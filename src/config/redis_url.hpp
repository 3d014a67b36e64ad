#pragma once
// Where a node's shared state lives: `redis://[user:password@]host:port[/db]`, or `rediss://`
// for TLS (docs/cluster.md). Pure: read once from the config.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::config {

struct RedisUrl {
    bool tls = false;
    std::string host;  // a name or an address, without brackets
    std::uint16_t port = 6379;
    std::string user;      // empty: the default user (AUTH with the password alone)
    std::string password;  // empty: no AUTH
    unsigned db = 0;

    // The URL without its password, for log lines and `herald cluster status`.
    std::string redacted() const;

    bool operator==(const RedisUrl&) const = default;
};

// user and password may be percent-encoded (RFC 3986), so that they can hold '@' or ':'.
Result<RedisUrl> parse_redis_url(std::string_view text);

}  // namespace herald::config
