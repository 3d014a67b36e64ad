#include "state/redis_settings.hpp"

#include <fstream>

#include "base/private_file.hpp"

namespace herald::state {

Result<std::string> read_password_file(const std::filesystem::path& path) {
    if (auto exposed = exposed_private_file(path)) {
        return Error{"password_file " + path.string() + ": " + *exposed};
    }
    std::ifstream in(path);
    std::string password;
    if (!in || !std::getline(in, password)) {
        return Error{"password_file " + path.string() + ": cannot read it"};
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) return Error{"password_file " + path.string() + ": it is empty"};
    return password;
}

Result<RedisSettings> redis_settings(const config::Cluster& cluster) {
    RedisSettings settings{.url = cluster.redis.value_or(config::RedisUrl{}),
                           .tls_ca = cluster.tls_ca,
                           .timeout = cluster.timeout};
    if (!cluster.password_file.empty()) {
        auto password = read_password_file(cluster.password_file);
        if (!password) return Error{password.error()};
        settings.url.password = std::move(*password);
    }
    if (!cluster.sentinel_password_file.empty()) {
        auto password = read_password_file(cluster.sentinel_password_file);
        if (!password) return Error{"sentinel_" + password.error()};
        settings.sentinel_password = std::move(*password);
    }
    return settings;
}

}  // namespace herald::state
