#include "cli/control_commands.hpp"

#include <fmt/core.h>

#include <string>

#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"

namespace herald::cli {

namespace {

// The config is checked here first, so that mistakes are shown with their lines (for reload,
// the server checks it again, since the file may change in between).
// `request` is the line sent: the command and its argument ("reload force").
int ask_server(const GlobalOptions& global, const std::string& command,
               const std::string& request) {
    auto config = load_config_or_report(global.config);
    if (!config) {
        fmt::print(stderr, "herald: {}: not sent; the running config stays in force\n", command);
        return kExitUsage;
    }
    auto reply = send_control_request(config->server.spool_dir / "control.sock", request);
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
        exit_code = ask_server(global, name, name);
    });
}

}  // namespace

void add_control_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* reload = app.add_subcommand("reload", "Make the running server read its config again");
    auto force = std::make_shared<bool>(false);
    reload->add_flag("--force", *force,
                     "apply a config that removes every user, reject entry, rate limit or "
                     "relay network in force, or has no listener");
    reload->callback([&global, &exit_code, force] {
        exit_code = ask_server(global, "reload", *force ? "reload force" : "reload");
    });
    add(app, global, exit_code, "logrotate", "Make the running server rotate its logs");
}

}  // namespace herald::cli
