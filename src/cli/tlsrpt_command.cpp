#include "cli/tlsrpt_command.hpp"

#include <fmt/core.h>

#include <boost/json.hpp>

#include <string>

#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"

namespace herald::cli {

namespace {

namespace json = boost::json;

// The server's answer to `request`, without its "ok "; an error line and nullopt otherwise.
std::optional<std::string> ask_server(const GlobalOptions& global, const std::string& request) {
    auto config = load_config_or_report(global.config);
    if (!config) return std::nullopt;
    auto reply = send_control_request(config->server.spool_dir / "control.sock", request);
    if (!reply) {
        fmt::print(stderr, "herald: the server is not running; the counts are its own\n");
        return std::nullopt;
    }
    if (!reply->starts_with("ok ")) {
        fmt::print(stderr, "herald: {}\n",
                   reply->starts_with("error ") ? reply->substr(6) : *reply);
        return std::nullopt;
    }
    return reply->substr(3);
}

void print_reports(const json::object& shown) {
    fmt::print("TLS sessions from {} to {}\n", std::string_view(shown.at("start").as_string()),
               std::string_view(shown.at("end").as_string()));
    if (const auto dropped = shown.at("dropped").to_number<std::uint64_t>(); dropped > 0) {
        fmt::print("{} sessions not counted: too many domains or kinds of failure\n", dropped);
    }
    for (const auto& element : shown.at("reports").as_array()) {
        const auto& entry = element.as_object();
        std::string where;
        if (const auto* to = entry.if_contains("to")) {
            for (const auto& destination : to->as_array()) {
                where += (where.empty() ? "to " : ", ") + std::string(destination.as_string());
            }
        } else {
            where = "not sent: " + std::string(entry.at("not_sent").as_string());
        }
        fmt::print("\n{}: {}\n{}\n", std::string_view(entry.at("domain").as_string()), where,
                   json::serialize(entry.at("report")));
    }
}

int show(const GlobalOptions& global, bool as_json) {
    auto shown = ask_server(global, "tlsrpt-show");
    if (!shown) return kExitFailure;
    if (as_json) {
        fmt::print("{}\n", *shown);
    } else {
        print_reports(json::parse(*shown).as_object());
    }
    return kExitOk;
}

int send(const GlobalOptions& global) {
    auto sent = ask_server(global, "tlsrpt-send");
    if (!sent) return kExitFailure;
    const json::value outcomes = json::parse(*sent);
    for (const auto& element : outcomes.as_array()) {
        const auto& outcome = element.as_object();
        std::string line(outcome.at("domain").as_string());
        for (const auto& where : outcome.at("sent").as_array()) {
            line += "; sent to " + std::string(where.as_string());
        }
        if (const auto* problem = outcome.if_contains("problem")) {
            line += "; " + std::string(problem->as_string());
        }
        fmt::print("{}\n", line);
    }
    return kExitOk;
}

}  // namespace

void add_tlsrpt_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* tlsrpt = app.add_subcommand("tlsrpt", "SMTP TLS reports (RFC 8460) to the domains");
    tlsrpt->require_subcommand(1);
    auto* show_command = tlsrpt->add_subcommand(
        "show", "The reports of the period so far, as they would be sent, and where to");
    auto as_json = std::make_shared<bool>(false);
    show_command->add_flag("--json", *as_json, "one JSON object");
    show_command->callback([&global, &exit_code, as_json] { exit_code = show(global, *as_json); });
    auto* send_command = tlsrpt->add_subcommand(
        "send", "End the period now and send its reports (they go after midnight UTC anyway)");
    send_command->callback([&global, &exit_code] { exit_code = send(global); });
}

}  // namespace herald::cli
