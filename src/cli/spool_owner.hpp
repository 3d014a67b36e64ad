#pragma once
// A command run as root that writes into the spool (sendmail queueing while the server is
// down, `herald suppress` opening its database) does so as the spool's owner, Herald's user:
// a file root created there, or a SQLite WAL file root owns, the server could not rewrite
// after dropping root.
#include <filesystem>
#include <optional>
#include <string>

namespace herald::cli {

// As root, when the spool directory belongs to another user: becomes that user for good (real,
// effective and saved ids). Nothing to do otherwise (not root, no such directory, or one root
// owns). nullopt when done or not needed; else why it could not be done.
std::optional<std::string> become_spool_owner(const std::filesystem::path& spool_dir);

}  // namespace herald::cli
