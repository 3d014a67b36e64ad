#include "cli/shaping_command.hpp"

#include <fmt/core.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"
#include "delivery/shaping_status.hpp"

namespace herald::cli {

namespace {

namespace json = boost::json;

std::string joined(const json::array& words, std::string_view separator) {
    std::string out;
    for (const auto& word : words) {
        if (!out.empty()) out += separator;
        out += std::string(word.as_string());
    }
    return out;
}

// One line a provider. The JSON is ours (the server's or shaping_status_json's).
void print_table(const json::value& status, bool running) {
    fmt::print("{:<20} {:>9}  {:<14} {}\n", "provider", "max conn", "connections", "mx");
    for (const auto& entry : status.at("providers").as_array()) {
        const auto& provider = entry.as_object();
        const auto max = provider.at("max_connections").to_number<std::uint64_t>();
        std::string connections = running ? "none" : "-";
        if (const auto* open = provider.if_contains("connections");
            open && !open->as_object().empty()) {
            connections.clear();
            for (const auto& [transport, count] : open->as_object()) {
                if (!connections.empty()) connections += ", ";
                connections += fmt::format("{}: {}", std::string_view(transport),
                                           count.to_number<std::uint64_t>());
            }
        }
        fmt::print("{:<20} {:>9}  {:<14} {}\n", std::string(provider.at("name").as_string()),
                   max == 0 ? "transport" : std::to_string(max), connections,
                   joined(provider.at("mx").as_array(), " "));
    }
}

int show_status(const GlobalOptions& global, bool as_json) {
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    auto reply = send_control_request(config->server.spool_dir / "control.sock", "shaping");
    const bool running = reply && reply->starts_with("ok ");
    const std::string status =
        running ? reply->substr(3) : delivery::shaping_status_json(config->providers, nullptr);
    if (as_json) {
        fmt::print("{}\n", status);
        return kExitOk;
    }
    if (!running) {
        fmt::print("herald is not running: the limits of {}, no connections\n",
                   global.config.string());
    }
    print_table(json::parse(status), running);
    return kExitOk;
}

}  // namespace

void add_shaping_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* shaping = app.add_subcommand("shaping", "Mailbox providers and their limits");
    shaping->require_subcommand(1);
    auto* status = shaping->add_subcommand(
        "status", "Every provider (built-in and configured): limits, connections open now");
    auto as_json = std::make_shared<bool>(false);
    status->add_flag("--json", *as_json, "one JSON object");
    status->callback([&global, &exit_code, as_json] { exit_code = show_status(global, *as_json); });
}

}  // namespace herald::cli
