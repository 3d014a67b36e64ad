#include "cli/default_config.hpp"

#include <cstdlib>

#ifndef HERALD_DEFAULT_CONFIG
#define HERALD_DEFAULT_CONFIG "config/herald.toml"
#endif
#ifndef HERALD_DEFAULT_SENDMAIL_SOCKET
#define HERALD_DEFAULT_SENDMAIL_SOCKET "var/spool/sendmail.sock"
#endif

namespace herald::cli {

std::filesystem::path default_config_path() {
    const char* from_environment = std::getenv("HERALD_CONFIG");
    if (from_environment != nullptr && *from_environment != '\0') return from_environment;
    return HERALD_DEFAULT_CONFIG;
}

std::filesystem::path default_sendmail_socket() {
    return HERALD_DEFAULT_SENDMAIL_SOCKET;
}

}  // namespace herald::cli
