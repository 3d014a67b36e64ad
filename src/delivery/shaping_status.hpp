#pragma once
// What `herald shaping status` and GET /api/shaping show, as JSON: every provider known
// (built-in and configured) with its limits and, from a running server, the connections each
// transport has open or parked to it and, per source address, the limits in force now, what
// set them and when they relax:
//   {"providers": [{"name": "google", "mx": ["*.google.com", ...], "max_connections": 5,
//                   "max_messages_per_connection": 0, ..., "connections": {"mx": 1},
//                   "sources": [{"source": "192.0.2.10", "rate_per_hour": 300,
//                                "max_connections": null, "suspended_until": null,
//                                "relaxes_at": "2026-12-03T06:10:00.000Z", "sent_today": 812,
//                                "last_rule": "google-rate"}]}, ...]}
// Without a server the CLI makes it from the config alone (no "connections", no "sources").
#include <boost/json/object.hpp>

#include <chrono>
#include <vector>

#include "config/config.hpp"

namespace herald::delivery {

class Router;
class TrafficShaper;

struct RunningShaping {
    const Router& router;
    TrafficShaper& shaper;
    std::chrono::system_clock::time_point now;
};

// `running` null: from the config alone.
boost::json::object shaping_status(const std::vector<config::Provider>& providers,
                                   const RunningShaping* running);

}  // namespace herald::delivery
