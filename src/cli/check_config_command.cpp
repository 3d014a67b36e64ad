#include "cli/check_config_command.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "cli/config_loading.hpp"

namespace herald::cli {

void add_check_config_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("check-config", "Validate the configuration file");
    cmd->callback([&global, &exit_code] {
        auto config = load_serving_config_or_report(global.config);
        if (!config) {
            exit_code = kExitUsage;
            return;
        }
        fmt::print("{}: OK ({} listeners, {} transports, {} routes)\n", global.config.string(),
                   config->listeners.size(), config->transports.size(), config->routes.size());
    });
}

}  // namespace herald::cli
