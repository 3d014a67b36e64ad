#pragma once
// How a node or a command reaches the cluster's Redis: [cluster] read into RedisSettings, with
// the password from password_file. That file keeps the password out of the config file, which
// more people read than should know it; it must be Herald's alone, as a private key must.
#include <filesystem>
#include <string>

#include "base/result.hpp"
#include "config/config.hpp"
#include "state/redis_connection.hpp"

namespace herald::state {

// The first line of the file, without its line ending.
Result<std::string> read_password_file(const std::filesystem::path& path);

// [cluster] must have redis.
Result<RedisSettings> redis_settings(const config::Cluster& cluster);

}  // namespace herald::state
