#include "cli/log_scan.hpp"

#include <fmt/core.h>

#include "cli/config_loading.hpp"

namespace herald::cli {

std::optional<std::filesystem::path> log_dir_or_report(const GlobalOptions& global,
                                                       const std::string& log_dir_option) {
    if (!log_dir_option.empty()) return std::filesystem::path(log_dir_option);
    auto config = load_config_or_report(global.config);
    if (!config) return std::nullopt;
    return config->server.log_dir;
}

void report_unreadable(const std::vector<std::string>& errors, std::string_view command) {
    for (const auto& error : errors)
        fmt::print(stderr, "herald: {}: warning: {}\n", command, error);
}

}  // namespace herald::cli
