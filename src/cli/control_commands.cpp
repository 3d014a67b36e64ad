#include "cli/control_commands.hpp"

#include <fmt/core.h>

#include <string>

#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"

namespace herald::cli {

namespace {

// The config is checked here first, so that mistakes are shown with their lines (for reload,
// the server checks it again, since the file may change in between).
int ask_server(const GlobalOptions& global, const std::string& command) {
    auto config = load_config_or_report(global.config);
    if (!config) {
        fmt::print(stderr, "herald: {}: not sent; the running config stays in force\n", command);
        return kExitUsage;
    }
    auto reply = send_control_request(config->server.spool_dir / "control.sock", command);
    if (!reply) {
        fmt::print(stderr, "herald: {}: no server is running on {}\n", command,
                   config->server.spool_dir.string());
        return kExitFailure;
    }
    if (!reply->starts_with("ok")) {
        fmt::print(stderr, "herald: {}: {}\n", command, *reply);
        return kExitFailure;
    }
    fmt::print("{}\n", *reply);
    return kExitOk;
}

void add(CLI::App& app, const GlobalOptions& global, int& exit_code, const std::string& name,
         const std::string& description) {
    app.add_subcommand(name, description)->callback([&global, &exit_code, name] {
        exit_code = ask_server(global, name);
    });
}

}  // namespace

void add_control_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    add(app, global, exit_code, "reload", "Make the running server read its config again");
    add(app, global, exit_code, "logrotate", "Make the running server rotate its logs");
}

}  // namespace herald::cli
