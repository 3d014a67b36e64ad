#pragma once
// What /metrics shows of events, sinks and reports (docs/events.md), taken at scrape time.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace herald::events {

struct EventFigures {
    std::map<std::string, std::uint64_t> by_type;                          // herald_events_total
    std::map<std::pair<std::string, std::string>, std::uint64_t> bounces;  // (category, kind)
    struct Sink {
        std::string name;
        std::size_t depth = 0;
        std::uint64_t failures = 0;
        std::uint64_t dead = 0;
    };
    std::vector<Sink> webhooks;
    std::map<std::pair<std::string, std::string>, std::uint64_t> reports;  // (kind, result)
    std::map<std::string, std::uint64_t> unsubscribes;  // one-click requests by outcome
};

}  // namespace herald::events
