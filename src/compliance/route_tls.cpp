#include "compliance/route_tls.hpp"

#include "delivery/route_table.hpp"

namespace herald::compliance {

std::optional<std::string> route_tls_problem(const config::Config& config,
                                             std::string_view sender) {
    const config::Transport* t = delivery::routed_transport(config, sender);
    if (t && t->type == config::Transport::Type::smtp &&
        t->tls == config::Transport::TlsMode::none) {
        return "transport '" + t->name + "' has tls = \"none\"";
    }
    return std::nullopt;
}

}  // namespace herald::compliance
