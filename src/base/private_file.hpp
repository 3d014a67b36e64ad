#pragma once
// Private keys (DKIM, TLS) must be Herald's alone: a key other local users can read is a key
// they can sign or impersonate with, so Herald refuses to start with one rather than warn.
#include <filesystem>
#include <optional>
#include <string>

namespace herald {

// Why `path` is open to other users, or nullopt when only its owner, and the group Herald
// runs as, may read it (root:herald 0640 is how an administrator lends Herald a key). A file
// that cannot be examined is left to the reader that opens it next, which says why.
std::optional<std::string> exposed_private_file(const std::filesystem::path& path);

}  // namespace herald
