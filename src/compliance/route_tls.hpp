#pragma once
// Whether mail from a sender can leave over TLS: not when the route its sender takes ends at
// an smtp transport with tls = "none". The compliance gate asks it per message and `herald
// doctor --bulk` per domain, so both read the routes the same way.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace herald::compliance {

// "transport 'x' has tls = \"none\"", or nullopt when TLS is offered.
std::optional<std::string> route_tls_problem(const config::Config& config, std::string_view sender);

}  // namespace herald::compliance
