#include "cli/reload_command.hpp"

#include <fmt/core.h>

#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"

namespace herald::cli {

// The config is checked here first, so that mistakes are shown with their lines; the server
// checks it again, since the file may change in between.
void add_reload_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("reload", "Make the running server read its config again");
    cmd->callback([&global, &exit_code] {
        auto config = load_config_or_report(global.config);
        if (!config) {
            fmt::print(stderr, "herald: reload: not sent; the running config stays in force\n");
            exit_code = kExitUsage;
            return;
        }
        auto reply = send_control_request(config->server.spool_dir / "control.sock", "reload");
        if (!reply) {
            fmt::print(stderr, "herald: reload: no server is running on {}\n",
                       config->server.spool_dir.string());
            exit_code = kExitFailure;
            return;
        }
        if (!reply->starts_with("ok")) {
            fmt::print(stderr, "herald: reload: {}\n", *reply);
            exit_code = kExitFailure;
            return;
        }
        fmt::print("{}\n", *reply);
    });
}

}  // namespace herald::cli
