#pragma once
// What `herald summary` and `herald trace` share: where the logs are, and telling the user
// about files that could not be read.
#include <filesystem>
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

// Log files that could not be read, on stderr as "herald: COMMAND: warning: ...".
void report_unreadable(const std::vector<std::string>& errors, std::string_view command);

}  // namespace herald::cli
