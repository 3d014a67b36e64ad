#include "cli/log_scan.hpp"

#include <fmt/core.h>

#include "cli/config_loading.hpp"
#include "log/log_reader.hpp"

namespace herald::cli {

std::optional<std::filesystem::path> log_dir_or_report(const GlobalOptions& global,
                                                       const std::string& log_dir_option) {
    if (!log_dir_option.empty()) return std::filesystem::path(log_dir_option);
    auto config = load_config_or_report(global.config);
    if (!config) return std::nullopt;
    return config->server.log_dir;
}

bool scan_log(const std::vector<std::filesystem::path>& files,
              const std::function<void(std::string_view)>& each, std::string_view command) {
    log::LogReader reader(files);
    while (auto line = reader.next()) each(*line);
    for (const auto& error : reader.errors()) {
        fmt::print(stderr, "herald: {}: warning: {}\n", command, error);
    }
    return reader.errors().empty();
}

}  // namespace herald::cli
