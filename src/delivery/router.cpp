#include "delivery/router.hpp"

#include <algorithm>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "delivery/transports/http.hpp"
#include "delivery/transports/http_url.hpp"
#include "delivery/transports/maildir.hpp"
#include "delivery/transports/mbox.hpp"
#include "delivery/transports/null.hpp"
#include "delivery/transports/smtp.hpp"

namespace herald::delivery {

bool route_matches(std::string_view pattern, std::string_view sender) {
    if (pattern == "*") return true;
    if (sender.empty()) return false;
    if (pattern.starts_with("*@"))
        return equals_ignoring_case(pattern.substr(2), domain_of(sender));
    return local_part_of(pattern) == local_part_of(sender) &&
           equals_ignoring_case(domain_of(pattern), domain_of(sender));
}

const config::Transport* routed_transport(const config::Config& config, std::string_view sender) {
    for (const auto& route : config.routes) {
        if (route_matches(route.sender, sender)) return config.find_transport(route.transport);
    }
    return nullptr;
}

std::optional<std::string> Router::unbuildable(const config::Config& config) {
    for (const auto& t : config.transports) {
        if (t.type != config::Transport::Type::http) continue;
        if (auto url = HttpUrl::parse(t.url); !url) {
            return "transport " + t.name + ": " + url.error();
        }
    }
    return std::nullopt;
}

Result<Transport*> Router::add_transport(const config::Transport& t, const config::Config& config,
                                         const TransportDependencies& deps) {
    std::unique_ptr<Transport> transport;
    switch (t.type) {
        case config::Transport::Type::null:
            transport = std::make_unique<NullTransport>(t.name);
            break;
        case config::Transport::Type::maildir:
            transport = std::make_unique<MaildirTransport>(t.name, t.path, deps.pool);
            break;
        case config::Transport::Type::mbox:
            transport = std::make_unique<MboxTransport>(t.name, t.path, deps.pool);
            break;
        case config::Transport::Type::smtp: {
            SmtpTransportOptions options{.pool = deps.pool,
                                         .ca_file = t.tls_ca_file,
                                         .log = deps.log,
                                         .dkim = deps.dkim,
                                         .providers = config.providers,
                                         .shaper = deps.shaper,
                                         .return_path = deps.return_path};
            if (const config::IpPool* pool = config.find_ip_pool(t.source_pool)) {
                options.source_pool = pool->addresses;
                options.source_pool_overflow = pool->overflow;
            }
            transport = std::make_unique<SmtpTransport>(t, deps.resolver, config.server.hostname,
                                                        std::move(options));
            break;
        }
        case config::Transport::Type::http:
            transport =
                std::make_unique<HttpTransport>(t, HttpTransportOptions{.ca_file = t.tls_ca_file});
            break;
        default:
            return Error{"transport " + t.name + ": this type is not available in this build yet"};
    }
    Transport* raw = transport.get();
    transports_.push_back(std::move(transport));
    by_name_[t.name] = raw;
    return raw;
}

Result<Router> Router::from_config(const config::Config& config,
                                   const TransportDependencies& deps) {
    if (auto why = unbuildable(config)) return Error{*why};
    Router router;
    for (const auto& t : config.transports) {
        auto added = router.add_transport(t, config, deps);
        if (!added) return Error{added.error()};
    }
    for (const auto& route : config.routes) {
        auto it = router.by_name_.find(route.transport);
        if (it == router.by_name_.end()) {
            return Error{"route " + route.sender + ": no transport named " + route.transport};
        }
        router.routes_.emplace_back(route.sender, it->second);
    }
    if (router.routes_.empty()) {
        // No route at all: nothing leaves the machine (docs/config.md).
        config::Transport discard{.name = "null", .type = config::Transport::Type::null};
        auto added = router.add_transport(discard, config, deps);
        router.routes_.emplace_back("*", *added);
    }
    router.local_domains_ = config.local.domains;
    const std::string local_name = "local";
    if (config.local.mailbox == config::Local::Mailbox::mbox) {
        router.transports_.push_back(
            std::make_unique<MboxTransport>(local_name, config.local.path, deps.pool));
    } else {
        router.transports_.push_back(
            std::make_unique<MaildirTransport>(local_name, config.local.path, deps.pool));
    }
    router.local_ = router.transports_.back().get();
    return router;
}

std::vector<std::pair<std::string, std::size_t>> Router::connections_to_provider(
    std::string_view provider) const {
    std::vector<std::pair<std::string, std::size_t>> counts;
    for (const auto& transport : transports_) {
        if (auto n = transport->connections_to_provider(provider); n > 0) {
            counts.emplace_back(transport->name(), n);
        }
    }
    return counts;
}

void Router::forget_unreachable() const {
    for (const auto& transport : transports_) transport->forget_unreachable();
}

bool Router::is_local_domain(std::string_view domain) const {
    return std::any_of(local_domains_.begin(), local_domains_.end(),
                       [&](const std::string& d) { return equals_ignoring_case(d, domain); });
}

Transport* Router::transport_for(std::string_view sender, std::string_view recipient) const {
    if (is_local_domain(domain_of(recipient))) return local_;
    for (const auto& [pattern, transport] : routes_) {
        if (route_matches(pattern, sender)) return transport;
    }
    return nullptr;
}

}  // namespace herald::delivery
