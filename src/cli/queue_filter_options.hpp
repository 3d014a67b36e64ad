#pragma once
// The filter options of `herald queue list`, `summary` and the bulk actions, read into the
// one queue::QueueFilter the control socket and the admin API take too.
#include <optional>
#include <string>

#include "config/config.hpp"
#include "queue/queue_filter.hpp"

namespace CLI {
class App;
}

namespace herald::cli {

struct QueueFilterOptions {
    std::string sender;
    std::string recipient;
    std::string domain;
    std::string transport;
    std::string older_than;
    std::string younger_than;
    bool held = false;
    bool not_held = false;

    bool any() const;
};

void add_queue_filter_options(CLI::App& command, QueueFilterOptions& options);

// The filter; nullopt after printing "herald: queue VERB: what is wrong" (a bad value, a
// transport `config` does not know, --held with --not-held).
std::optional<queue::QueueFilter> queue_filter_or_report(const QueueFilterOptions& options,
                                                         const config::Config& config,
                                                         std::string_view verb);

}  // namespace herald::cli
