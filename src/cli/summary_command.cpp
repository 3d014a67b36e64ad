#include "cli/summary_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "cli/log_scan.hpp"
#include "log/log_views.hpp"

namespace herald::cli {
namespace {

struct SummaryArgs {
    std::string since;
    std::string sender;
    std::string log_dir;
    bool json = false;
};

void print_rows(std::string_view title, const std::vector<log::SummaryRow>& rows) {
    fmt::print("\n{}:\n", title);
    if (rows.empty()) {
        fmt::print("  none\n");
        return;
    }
    fmt::print("{:>9} {:>10} {:>9} {:>8} {:>7}  {}\n", "messages", "recipients", "delivered",
               "deferred", "bounced", "name [flags]");
    for (const auto& row : rows) {
        const auto& c = row.counts;
        auto flags = row.flags.empty() ? "" : fmt::format("  [{}]", fmt::join(row.flags, ","));
        fmt::print("{:>9} {:>10} {:>9} {:>8} {:>7}  {}{}\n", c.messages, c.recipients, c.delivered,
                   c.deferred, c.bounced, row.name, flags);
    }
}

void print_text(const log::SummaryReport& report, const std::string& since) {
    const auto& t = report.total;
    fmt::print("{} messages, {} recipients: {} delivered, {} deferred, {} bounced{}\n", t.messages,
               t.recipients, t.delivered, t.deferred, t.bounced,
               since.empty() ? "" : " since " + since);
    print_rows("senders", report.senders);
    print_rows("users", report.users);
    print_rows("client ips", report.client_ips);
    // What receivers said is wrong (docs/events.md, "Why mail is deferred"), and what the
    // explainer found last for each cause.
    if (!report.causes.empty()) {
        fmt::print("\ndeferred or bounced, by cause:\n");
        for (const auto& [cause, count] : report.causes) fmt::print("{:>9}  {}\n", count, cause);
    }
    if (!report.explanations.empty()) {
        fmt::print("\nlatest explanations:\n");
        for (const auto& [cause, text] : report.explanations) fmt::print("  {}\n", text);
    }
    if (!report.compliance.empty()) {
        fmt::print("\nbulk mail judged (docs/compliance.md):\n{:>9} {:>8}  {}\n", "judged",
                   "failing", "domain: latest verdict");
        for (const auto& row : report.compliance) {
            fmt::print("{:>9} {:>8}  {}: {}\n", row.judged, row.failing, row.domain, row.latest);
        }
    }
}

int run_summary(const GlobalOptions& global, const SummaryArgs& args) {
    log::SummaryOptions options;
    if (!args.since.empty()) {
        auto since = log::since_timestamp(args.since, std::chrono::system_clock::now());
        if (!since) {
            fmt::print(stderr,
                       "herald: summary: --since '{}' is neither a time (2026-11-22T08:00Z) nor "
                       "a duration (30m, 1h, 2d)\n",
                       args.since);
            return kExitUsage;
        }
        options.since = *since;
    }
    if (!args.sender.empty() && !log::valid_sender_pattern(args.sender)) {
        fmt::print(stderr, "herald: summary: --sender '{}' is not an address, *@domain or <>\n",
                   args.sender);
        return kExitUsage;
    }
    options.sender = args.sender;
    auto dir = log_dir_or_report(global, args.log_dir);
    if (!dir) return kExitUsage;
    auto scanned = log::summarize_log_dir(*dir, options);
    if (!scanned.found) {
        fmt::print(stderr, "herald: summary: no mainlog in {}\n", dir->string());
        return kExitFailure;
    }
    report_unreadable(scanned.errors, "summary");
    if (args.json) {
        fmt::print("{}\n",
                   boost::json::serialize(log::summary_json(scanned.report, options.since)));
    } else {
        print_text(scanned.report, options.since);
    }
    return scanned.errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_summary_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "summary", "Relayed messages and recipients per sender, user and client IP");
    auto args = std::make_shared<SummaryArgs>();
    cmd->add_option("--since", args->since,
                    "only messages that arrived since this time (ISO 8601) or this long ago "
                    "(30m, 1h, 2d)");
    cmd->add_option("--sender", args->sender, "only this sender: an address, *@domain or <>");
    cmd->add_flag("--json", args->json, "print JSON");
    cmd->add_option("--log-dir", args->log_dir,
                    "read the logs in this directory instead of the config's log_dir");
    cmd->callback([&global, &exit_code, args] { exit_code = run_summary(global, *args); });
}

}  // namespace herald::cli
