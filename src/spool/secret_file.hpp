#pragma once
// A secret Herald makes for itself and keeps in the spool (mode 0600), so that only the user
// it runs as (and root) can read it: the admin token (admin/admin_token.hpp), the key of the
// VERP tokens (reports/verp.hpp).
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::spool {

// Reads <spool_dir>/<name>, or creates it (64 hex digits from the OpenSSL random generator,
// written to a private temporary file and linked into place, so that no reader ever sees
// half a secret and two starts at once agree on one). A file that is not a regular file owned
// by us, that others may read, or that holds no usable secret is an error: it is never
// silently replaced, since others may hold what it had.
Result<std::string> load_or_create_secret(const std::filesystem::path& spool_dir,
                                          std::string_view name);

}  // namespace herald::spool
