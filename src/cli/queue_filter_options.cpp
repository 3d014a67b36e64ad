#include "cli/queue_filter_options.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <vector>

namespace herald::cli {

bool QueueFilterOptions::any() const {
    return !sender.empty() || !recipient.empty() || !domain.empty() || !transport.empty() ||
           !older_than.empty() || !younger_than.empty() || held || not_held;
}

void add_queue_filter_options(CLI::App& command, QueueFilterOptions& options) {
    command.add_option("--sender", options.sender, "only mail from this address, @domain or <>");
    command.add_option("--recipient", options.recipient,
                       "only mail still pending for this address or @domain");
    command.add_option("--domain", options.domain, "only mail still pending for this domain");
    command.add_option("--transport", options.transport,
                       "only mail the router sends through this transport");
    command.add_option("--older-than", options.older_than,
                       "only mail queued longer ago than this (30m, 2h, 3d)");
    command.add_option("--younger-than", options.younger_than,
                       "only mail queued more recently than this (30m, 2h, 3d)");
    command.add_flag("--held", options.held, "only held messages");
    command.add_flag("--not-held", options.not_held, "only messages not held");
}

namespace {

// The transports the router could name: the configured ones, "local" for local domains, and
// "null" when no route is configured (delivery::Router::from_config).
bool is_known_transport(const config::Config& config, std::string_view name) {
    if (name == "local" || (name == "null" && config.routes.empty())) return true;
    return config.find_transport(name) != nullptr;
}

}  // namespace

std::optional<queue::QueueFilter> queue_filter_or_report(const QueueFilterOptions& options,
                                                         const config::Config& config,
                                                         std::string_view verb) {
    if (options.held && options.not_held) {
        fmt::print(stderr, "herald: queue {}: --held and --not-held exclude each other\n", verb);
        return std::nullopt;
    }
    std::vector<queue::QueueFilter::Parameter> given;
    for (const auto& [name, value] :
         {std::pair{"sender", &options.sender}, std::pair{"recipient", &options.recipient},
          std::pair{"domain", &options.domain}, std::pair{"transport", &options.transport},
          std::pair{"older_than", &options.older_than},
          std::pair{"younger_than", &options.younger_than}}) {
        if (!value->empty()) given.emplace_back(name, *value);
    }
    if (options.held || options.not_held) given.emplace_back("held", options.held ? "yes" : "no");
    auto filter = queue::QueueFilter::parse(given);
    if (!filter) {
        // The API's names are the options' without their dashes: say it as the user typed it.
        std::string why = filter.error();
        std::replace(why.begin(), why.begin() + std::min(why.find(':'), why.size()), '_', '-');
        fmt::print(stderr, "herald: queue {}: --{}\n", verb, why);
        return std::nullopt;
    }
    if (filter->transport && !is_known_transport(config, *filter->transport)) {
        fmt::print(stderr, "herald: queue {}: --transport: no transport named '{}'\n", verb,
                   *filter->transport);
        return std::nullopt;
    }
    return std::move(*filter);
}

}  // namespace herald::cli
