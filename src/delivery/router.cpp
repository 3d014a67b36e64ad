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

std::vector<std::string> Router::unbuildable(const config::Config& config) {
    std::vector<std::string> reasons;
    for (const auto& t : config.transports) {
        if (t.type == config::Transport::Type::http) {
            if (auto url = HttpUrl::parse(t.url); !url) {
                reasons.push_back("transport " + t.name + ": " + url.error());
            }
        }
        // The loader sees to it in a file; a reload keeps the pools in force, which may lack
        // one that the file adds.
        if (!t.source_pool.empty() && !config.find_ip_pool(t.source_pool)) {
            reasons.push_back("transport " + t.name + ": source_pool '" + t.source_pool +
                              "' is not among the [[ip_pool]] in force");
        }
    }
    return reasons;
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
                                         .return_path = deps.return_path,
                                         .tls_sessions = deps.tls_sessions};
            if (t.host.empty() && t.mta_sts && deps.tls_policies) {
                options.tls_policies = deps.tls_policies(t);
            }
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
    if (auto why = unbuildable(config); !why.empty()) return Error{why.front()};
    Router router;
    for (const auto& t : config.transports) {
        auto added = router.add_transport(t, config, deps);
        if (!added) return Error{added.error()};
    }
    router.table_.emplace(config);
    for (const auto& route : router.table_->routes()) {
        auto it = router.by_name_.find(route.transport);
        if (it == router.by_name_.end() && route.transport == RouteTable::kNull) {
            // No route at all (RouteTable): a discarding transport of that name.
            config::Transport discard{.name = route.transport,
                                      .type = config::Transport::Type::null};
            auto added = router.add_transport(discard, config, deps);
            if (!added) return Error{added.error()};
            it = router.by_name_.find(route.transport);
        }
        if (it == router.by_name_.end()) {
            return Error{"route " + route.sender + ": no transport named " + route.transport};
        }
        router.route_transports_.push_back(it->second);
    }
    const std::string local_name(RouteTable::kLocal);
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

void Router::close_idle_connections() const {
    for (const auto& transport : transports_) transport->close_idle_connections();
}

bool Router::connections_closed() const {
    return std::all_of(transports_.begin(), transports_.end(),
                       [](const auto& transport) { return transport->connections_closed(); });
}

void Router::forget_unreachable() const {
    for (const auto& transport : transports_) transport->forget_unreachable();
}

Transport* Router::transport_for(std::string_view sender, std::string_view recipient) const {
    if (table_->is_local(recipient)) return local_;
    const auto route = table_->route_for(sender);
    return route ? route_transports_[*route] : nullptr;
}

}  // namespace herald::delivery
