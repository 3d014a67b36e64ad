#pragma once
// Where the configuration is when --config does not say: $HERALD_CONFIG, else the path this
// binary was built with (config/herald.toml in a source tree, /etc/herald/herald.toml in the
// Debian package: CMake's HERALD_DEFAULT_CONFIG). Never a path relative to where a caller of
// sendmail happens to stand, unless the build asked for it.
#include <filesystem>

namespace herald::cli {

std::filesystem::path default_config_path();

// Where `herald sendmail` hands its message when the caller may not read the configuration
// (it may hold password hashes: the package's is root:herald 0640): the socket in the spool
// this binary was built for (CMake's HERALD_DEFAULT_SENDMAIL_SOCKET).
std::filesystem::path default_sendmail_socket();

}  // namespace herald::cli
