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

// Reads <spool_dir>/admin.token, or creates it (64 hex digits from the OpenSSL random
// generator, written to a private temporary file and linked into place, so that no reader
// ever sees half a token and two starts at once agree on one). A file that is not a
// regular file owned by us, that others may read, or that holds no usable token is an error:
// it is never silently replaced, since clients may hold the token it had.
Result<std::string> load_or_create_admin_token(const std::filesystem::path& spool_dir);

}  // namespace herald::admin
