#include "cli/trace_command.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/log_scan.hpp"
#include "log/log_views.hpp"

namespace herald::cli {
namespace {

struct TraceArgs {
    std::string query;
    std::string log_dir;
    bool json = false;
};

int run_trace(const GlobalOptions& global, const TraceArgs& args) {
    auto query = log::TraceQuery::parse(args.query);
    if (!query) {
        fmt::print(stderr, "herald: trace: '{}' is not a message id, an address or an IP address\n",
                   args.query);
        return kExitUsage;
    }
    auto dir = log_dir_or_report(global, args.log_dir);
    if (!dir) return kExitUsage;
    auto scanned = log::trace_log_dir(*dir, *query);
    if (!scanned.found) {
        fmt::print(stderr, "herald: trace: no mainlog or rejectlog in {}\n", dir->string());
        return kExitFailure;
    }
    report_unreadable(scanned.errors, "trace");
    const auto& lines = scanned.lines;
    if (args.json) {
        fmt::print("{}\n", boost::json::serialize(log::trace_json(lines)));
    } else {
        for (const auto& l : lines) fmt::print("{}\n", l.line);
    }
    if (lines.empty()) {
        fmt::print(stderr, "herald: trace: nothing in the logs matches '{}'\n", args.query);
        return kExitFailure;
    }
    return scanned.errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_trace_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "trace", "Every log line of the messages matching an id, sender, recipient or client IP");
    auto args = std::make_shared<TraceArgs>();
    cmd->add_option("query", args->query, "message id, sender or recipient address, client IP")
        ->required();
    cmd->add_flag("--json", args->json, "print a JSON array of {log, ts, line}");
    cmd->add_option("--log-dir", args->log_dir,
                    "read the logs in this directory instead of the config's log_dir");
    cmd->callback([&global, &exit_code, args] { exit_code = run_trace(global, *args); });
}

}  // namespace herald::cli
