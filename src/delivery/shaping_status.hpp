#pragma once
// What `herald shaping status` shows, as JSON: every provider known (built-in and
// configured) with its limits and, from a running server, the connections each transport
// has open or parked to it:
//   {"providers": [{"name": "google", "mx": ["*.google.com", ...], "max_connections": 5,
//                   "connections": {"mx": 1}}, ...]}
// The server answers it on its control socket; without a server the CLI makes it from the
// config alone (no "connections").
#include <string>
#include <vector>

#include "config/config.hpp"

namespace herald::delivery {

class Router;

// `router` null: from the config alone. One line, no newline.
std::string shaping_status_json(const std::vector<config::Provider>& providers,
                                const Router* router);

}  // namespace herald::delivery
