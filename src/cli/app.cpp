#include "cli/app.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "base/build_info.hpp"
#include "cli/check_config_command.hpp"
#include "cli/cluster_command.hpp"
#include "cli/control_commands.hpp"
#include "cli/dkim_command.hpp"
#include "cli/dmarc_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/queue_command.hpp"
#include "cli/sendmail_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/shaping_command.hpp"
#include "cli/spf_command.hpp"
#include "cli/summary_command.hpp"
#include "cli/suppress_command.hpp"
#include "cli/tlsrpt_command.hpp"
#include "cli/trace_command.hpp"

namespace herald::cli {

namespace {

void add_help_command(CLI::App& app) {
    auto* help = app.add_subcommand("help", "Show help for a command");
    auto topic = std::make_shared<std::vector<std::string>>();
    help->add_option("command", *topic, "the command, e.g. queue list");
    help->callback([&app, topic] {
        CLI::App* target = &app;
        for (const auto& word : *topic) {
            try {
                target = target->get_subcommand(word);
            } catch (const CLI::OptionNotFound&) {
                throw CLI::ValidationError("help", "no command named '" + word + "'");
            }
        }
        fmt::print("{}", target->help());
    });
}

}  // namespace

int usage_error(std::string_view command, std::string_view what) {
    fmt::print(stderr, "herald {}: {}\n", command, what);
    return kExitUsage;
}

int run(int argc, char** argv) {
    CLI::App app{"Herald: an outbound mail server with deliverability built in", "herald"};
    app.require_subcommand(1);
    app.set_version_flag("--version", version_line());
    GlobalOptions global;
    app.add_option("--config", global.config, "configuration file")->capture_default_str();
    app.add_option("--dns", global.dns, "resolve through this DNS server (HOST:PORT)");
    app.add_option("--dns-fixture", global.dns_fixture, "answer DNS from this YAML file");
    app.fallthrough();  // global options are accepted after the subcommand too

    int exit_code = kExitOk;
    add_serve_command(app, global, exit_code);
    add_check_config_command(app, global, exit_code);
    add_queue_command(app, global, exit_code);
    add_sendmail_command(app, global, exit_code);
    add_control_commands(app, global, exit_code);
    add_dkim_command(app, global, exit_code);
    add_doctor_command(app, global, exit_code);
    add_spf_command(app, global, exit_code);
    add_dmarc_command(app, global, exit_code);
    add_summary_command(app, global, exit_code);
    add_trace_command(app, global, exit_code);
    add_shaping_command(app, global, exit_code);
    add_tlsrpt_command(app, global, exit_code);
    add_cluster_command(app, global, exit_code);
    add_suppress_command(app, global, exit_code);
    add_help_command(app);

    // CLI11 would call an unknown word a missing subcommand; name it instead.
    if (argc > 1 && argv[1][0] != '-') {
        try {
            app.get_subcommand(argv[1]);
        } catch (const CLI::OptionNotFound&) {
            fmt::print(stderr, "herald: unknown command '{}' (see herald --help)\n", argv[1]);
            return kExitUsage;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        fmt::print(stderr, "herald: {}\n", e.what());
        return kExitUsage;
    }
    return exit_code;
}

}  // namespace herald::cli
