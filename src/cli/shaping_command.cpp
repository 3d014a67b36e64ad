#include "cli/shaping_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

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

// "from 192.0.2.10: rate 300/h, relaxes at ..." for each source with state.
void print_sources(const json::object& provider) {
    const auto* sources = provider.if_contains("sources");
    if (sources == nullptr) return;
    for (const auto& element : sources->as_array()) {
        const auto& source = element.as_object();
        std::vector<std::string> parts;
        if (const auto& rate = source.at("rate_per_hour"); !rate.is_null()) {
            parts.push_back(fmt::format("rate {}/h", rate.to_number<std::int64_t>()));
        }
        if (const auto& cap = source.at("max_connections"); !cap.is_null()) {
            parts.push_back(fmt::format("connections capped at {}", cap.to_number<std::int64_t>()));
        }
        if (const auto& until = source.at("suspended_until"); !until.is_null()) {
            parts.push_back("suspended until " + std::string(until.as_string()));
        }
        if (const auto& rule = source.at("last_rule").as_string(); !rule.empty()) {
            parts.push_back(fmt::format("last rule '{}'", std::string_view(rule)));
        }
        if (const auto& at = source.at("relaxes_at"); !at.is_null()) {
            parts.push_back("relaxes at " + std::string(at.as_string()));
        }
        parts.push_back(
            fmt::format("{} sent today", source.at("sent_today").to_number<std::uint64_t>()));
        fmt::print("  from {}: {}\n", std::string_view(source.at("source").as_string()),
                   fmt::join(parts, ", "));
    }
}

// One line a provider, and one per source address with state. The JSON is ours (the
// server's or shaping_status's).
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
        print_sources(provider);
    }
}

int show_status(const GlobalOptions& global, bool as_json) {
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    auto reply = send_control_request(config->server.spool_dir / "control.sock", "shaping");
    const bool running = reply && reply->starts_with("ok ");
    const std::string status =
        running ? reply->substr(3)
                : json::serialize(delivery::shaping_status(config->providers, nullptr));
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

// The server clears the reactions; without one there are none to clear (the state file is
// the server's, and read at its start).
int reset(const GlobalOptions& global, const std::string& provider) {
    auto config = load_config_or_report(global.config);
    if (!config) return kExitUsage;
    if (config->find_provider(provider) == nullptr) {
        fmt::print(stderr, "herald: no provider named '{}' (herald shaping status lists them)\n",
                   provider);
        return kExitUsage;
    }
    auto reply = send_control_request(config->server.spool_dir / "control.sock",
                                      "shaping-reset " + provider);
    if (!reply) {
        fmt::print(stderr, "herald: the server is not running; nothing to reset\n");
        return kExitFailure;
    }
    if (!reply->starts_with("ok ")) {
        fmt::print(stderr, "herald: {}\n",
                   reply->starts_with("error ") ? reply->substr(6) : *reply);
        return kExitFailure;
    }
    fmt::print("{}\n", *reply);
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
    auto* reset_command = shaping->add_subcommand(
        "reset", "Clear what the provider's replies set (rates, caps, suspensions)");
    auto provider = std::make_shared<std::string>();
    reset_command->add_option("provider", *provider, "the provider's name")->required();
    reset_command->callback(
        [&global, &exit_code, provider] { exit_code = reset(global, *provider); });
}

}  // namespace herald::cli
