#pragma once
// The admin API's credential when [admin] token is not set: a random token generated on the
// first start and kept in <spool_dir>/admin.token (mode 0600), so that only the user Herald
// runs as (and root) can read it. Loopback is no guard on a shared machine: any local user
// can connect to 127.0.0.1, but not every local user may delete or read mail.
#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace herald::admin {

inline constexpr std::string_view kAdminTokenFile = "admin.token";

// Reads <spool_dir>/admin.token, or creates it (spool/secret_file.hpp).
Result<std::string> load_or_create_admin_token(const std::filesystem::path& spool_dir);

}  // namespace herald::admin
