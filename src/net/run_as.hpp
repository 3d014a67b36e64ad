#pragma once
// Who `herald serve` runs as. Started as root, Herald prepares its directories as root, then
// opens everything (logs, spool, keys, control socket) as [server] user, returns to root only
// to bind its listeners, and drops to the user for good before it reads a byte from the
// network. Every file it creates is thus the user's, and nothing that parses mail is root.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace herald::net {

struct RunAs {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
};

// The one place that decides. As root: [server] user, or root itself only with --allow-root.
// As anyone else: that user, and [server] user (if set) must be the same one. nullopt: no
// change of user (not root, or root allowed).
Result<std::optional<RunAs>> decide_run_as(const config::Server& server, bool allow_root);

// As root, before anything is opened: the directories exist and are the user's, with modes
// that keep other local users out. A tree that belonged to someone else (an earlier start as
// root) is handed over whole, once; what was done is returned for the start-up report.
Result<std::vector<std::string>> prepare_directories(const RunAs& run_as,
                                                     const std::filesystem::path& spool_dir,
                                                     const std::filesystem::path& log_dir);

// Acts as the user (effective ids and groups) while keeping the way back to root.
Status act_as(const RunAs& run_as);
// Back to root for what only root may do: binding ports below 1024.
Status act_as_root();
// For good: real, effective and saved ids; checked, including that root cannot be regained.
Status drop_for_good(const RunAs& run_as);

}  // namespace herald::net
