#pragma once
// What `herald summary` and `herald trace` share: where the logs are, and reading one with
// its rotated generations while telling the user about files that could not be read.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/app.hpp"

namespace herald::cli {

// `log_dir_option` when given (logs copied from another machine), else the config's
// [server] log_dir; nullopt after reporting a config that does not load.
std::optional<std::filesystem::path> log_dir_or_report(const GlobalOptions& global,
                                                       const std::string& log_dir_option);

// Feeds every line of `files`, oldest first, to `each`. Files that could not be read are
// reported on stderr as "herald: COMMAND: warning: ..."; returns false when there were any.
bool scan_log(const std::vector<std::filesystem::path>& files,
              const std::function<void(std::string_view)>& each, std::string_view command);

}  // namespace herald::cli
