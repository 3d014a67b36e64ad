#include "net/serving_files.hpp"

#include "mailauth/dkim/keyring.hpp"
#include "net/tls_context.hpp"
#include "state/redis_settings.hpp"

namespace herald::net {

std::vector<std::string> serving_file_problems(const config::Config& config) {
    std::vector<std::string> problems;
    const std::string where = config.source.string() + ":0: ";
    // One at a time: the keyring stops at the first key that does not load.
    for (const auto& key : config.dkim_keys) {
        if (auto loaded = mailauth::dkim::Keyring::load({key}); !loaded) {
            problems.push_back(where + loaded.error());
        }
    }
    // Without a [tls] pair, serve makes a self-signed one: nothing to check beforehand.
    if (!config.tls.cert.empty()) {
        if (auto loaded = load_server_tls(config.tls.cert, config.tls.key, {}, ""); !loaded) {
            problems.push_back(where + loaded.error());
        }
    }
    if (!config.cluster.password_file.empty()) {
        if (auto password = state::read_password_file(config.cluster.password_file); !password) {
            problems.push_back(where + "cluster: " + password.error());
        }
    }
    return problems;
}

}  // namespace herald::net
