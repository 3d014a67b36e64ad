#pragma once
// Where a node's shared state lives: `redis://[user:password@]host:port[/db]`, or `rediss://`
// for TLS; or a Redis Sentinel set that names the master,
// `redis-sentinel://[user:password@]host:port[,host:port...][/db]#master` (`rediss-sentinel://`
// for TLS), the form Lettuce and Spring read (docs/cluster.md). Pure: read once from the config.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::config {

struct RedisEndpoint {
    std::string host;  // a name or an address, without brackets
    std::uint16_t port = 6379;

    std::string to_string() const;  // host:port, [v6]:port
    bool operator==(const RedisEndpoint&) const = default;
};

struct RedisUrl {
    bool tls = false;
    // Redis itself: from the URL, or, with sentinels, the master they named last.
    std::string host;  // a name or an address, without brackets
    std::uint16_t port = 6379;
    std::vector<RedisEndpoint> sentinels;  // redis-sentinel://: asked in this order
    std::string master;                    // the name the sentinels know the master by
    std::string user;                      // empty: the default user (AUTH with the password alone)
    std::string password;                  // empty: no AUTH
    unsigned db = 0;

    bool uses_sentinels() const { return !sentinels.empty(); }
    // The URL without its password, for log lines and `herald cluster status`.
    std::string redacted() const;

    bool operator==(const RedisUrl&) const = default;
};

// user and password may be percent-encoded (RFC 3986), so that they can hold '@' or ':'.
Result<RedisUrl> parse_redis_url(std::string_view text);

}  // namespace herald::config
