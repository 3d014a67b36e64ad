#include "cli/summary_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

#include "base/timestamp.hpp"
#include "cli/log_scan.hpp"
#include "config/value_formats.hpp"
#include "log/log_reader.hpp"
#include "log/log_time.hpp"
#include "log/summary.hpp"

namespace herald::cli {
namespace {

struct SummaryArgs {
    std::string since;
    std::string sender;
    std::string log_dir;
    bool json = false;
};

// "1h", "2d", "1h30m" back from now, or an ISO 8601 time: as a log timestamp.
std::optional<std::string> since_timestamp(const std::string& text) {
    if (auto ago = config::parse_duration(text)) {
        return iso8601_utc(std::chrono::system_clock::now() - *ago);
    }
    if (auto at = log::parse_iso8601(text)) return iso8601_utc(*at);
    return std::nullopt;
}

// An address, "*@domain", "@domain" or "<>": nothing with spaces, controls or other '*'.
bool valid_sender_pattern(std::string_view pattern) {
    if (pattern.starts_with("*@")) pattern.remove_prefix(2);
    return !pattern.empty() && std::none_of(pattern.begin(), pattern.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '*';
    });
}

boost::json::object counts_json(const log::SummaryCounts& c) {
    return {{"messages", c.messages},
            {"recipients", c.recipients},
            {"delivered", c.delivered},
            {"deferred", c.deferred},
            {"bounced", c.bounced}};
}

boost::json::array rows_json(const std::vector<log::SummaryRow>& rows, std::string_view key) {
    boost::json::array out;
    for (const auto& row : rows) {
        boost::json::object o{{key, row.name}};
        for (const auto& [k, v] : counts_json(row.counts)) o[k] = v;
        o["distinct_recipients"] = row.distinct_recipients;
        o["distinct_senders"] = row.distinct_senders;
        o["peak_per_hour"] = row.peak_per_hour;
        boost::json::array flags;
        for (const auto& flag : row.flags) flags.emplace_back(flag);
        o["flags"] = std::move(flags);
        out.push_back(std::move(o));
    }
    return out;
}

void print_json(const log::SummaryReport& report, const std::string& since) {
    boost::json::object out{
        {"since", since.empty() ? boost::json::value(nullptr) : boost::json::value(since)},
        {"total", counts_json(report.total)},
        {"senders", rows_json(report.senders, "sender")},
        {"users", rows_json(report.users, "user")},
        {"client_ips", rows_json(report.client_ips, "ip")},
        {"damaged_lines", report.damaged_lines},
    };
    fmt::print("{}\n", boost::json::serialize(out));
}

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
}

int run_summary(const GlobalOptions& global, const SummaryArgs& args) {
    log::SummaryOptions options;
    if (!args.since.empty()) {
        auto since = since_timestamp(args.since);
        if (!since) {
            fmt::print(stderr,
                       "herald: summary: --since '{}' is neither a time (2026-11-22T08:00Z) nor "
                       "a duration (30m, 1h, 2d)\n",
                       args.since);
            return kExitUsage;
        }
        options.since = *since;
    }
    if (!args.sender.empty() && !valid_sender_pattern(args.sender)) {
        fmt::print(stderr, "herald: summary: --sender '{}' is not an address, *@domain or <>\n",
                   args.sender);
        return kExitUsage;
    }
    options.sender = args.sender;
    auto dir = log_dir_or_report(global, args.log_dir);
    if (!dir) return kExitUsage;
    auto files = log::log_generations(*dir / "mainlog");
    if (files.empty()) {
        fmt::print(stderr, "herald: summary: no mainlog in {}\n", dir->string());
        return kExitFailure;
    }
    log::Summary summary(options);
    bool complete = scan_log(
        files, [&](std::string_view line) { summary.add(line); }, "summary");
    auto report = summary.report();
    args.json ? print_json(report, options.since) : print_text(report, options.since);
    return complete ? kExitOk : kExitFailure;
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
