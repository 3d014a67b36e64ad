#include "compliance/route_tls.hpp"

#include "delivery/router.hpp"

namespace herald::compliance {

std::optional<std::string> route_tls_problem(const config::Config& config,
                                             std::string_view sender) {
    for (const auto& route : config.routes) {
        if (!delivery::route_matches(route.sender, sender)) continue;
        const config::Transport* t = config.find_transport(route.transport);
        if (t && t->type == config::Transport::Type::smtp &&
            t->tls == config::Transport::TlsMode::none) {
            return "transport '" + t->name + "' has tls = \"none\"";
        }
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace herald::compliance
