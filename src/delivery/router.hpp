#pragma once
// Chooses the transport for each recipient: local domains go to the local mailbox, everything
// else by the first [[route]] that matches the envelope sender.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/blocking_pool.hpp"
#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/route_table.hpp"
#include "delivery/tls_policy.hpp"
#include "delivery/tls_session.hpp"
#include "delivery/transport.hpp"
#include "delivery/transport_selector.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim/keyring.hpp"

namespace herald::delivery {

class TrafficShaper;

// What the transports need from the running server. The pool may be null in tests (file
// transports then write on the caller's thread).
struct TransportDependencies {
    dns::Resolver& resolver;
    BlockingPool* pool = nullptr;
    std::function<void(const std::string&)> log;
    // The server's DKIM keys (null when none): the smtp transport signs again what it
    // converts to 7-bit MIME.
    std::shared_ptr<const mailauth::dkim::Keyring> dkim;
    // Shared by the smtp transports (delivery/shaping/traffic_shaper.hpp); null: providers'
    // connection limits only.
    TrafficShaper* shaper = nullptr;
    // [bounces] domain: the VERP return path of one recipient of a message (docs/events.md);
    // empty function: mail goes from its envelope sender.
    ReturnPath return_path;
    // The TLS policies (MTA-STS) of an smtp transport to MX hosts with `mta_sts`; empty
    // function: none.
    std::function<std::shared_ptr<TlsPolicySource>(const config::Transport&)> tls_policies;
    // What TLS came to on each connection of the smtp transports to MX hosts (TLS-RPT);
    // empty: not counted.
    TlsSessionSink tls_sessions;
};

class Router : public TransportSelector {
  public:
    static Result<Router> from_config(const config::Config& config,
                                      const TransportDependencies& dependencies);
    // Every reason this config cannot be assembled into transports, checked without building
    // them; empty when it can.
    static std::vector<std::string> unbuildable(const config::Config& config);

    // Never null: check-config guarantees a route for every sender.
    Transport* transport_for(std::string_view sender, std::string_view recipient) const override;
    void forget_unreachable() const override;
    void close_idle_connections() const override;
    bool connections_closed() const override;
    // Per transport with any: the connections open or parked to `provider`.
    std::vector<std::pair<std::string, std::size_t>> connections_to_provider(
        std::string_view provider) const;

  private:
    Router() = default;
    Result<Transport*> add_transport(const config::Transport& t, const config::Config& config,
                                     const TransportDependencies& deps);

    std::vector<std::unique_ptr<Transport>> transports_;
    std::unordered_map<std::string, Transport*> by_name_;
    std::optional<RouteTable> table_;
    std::vector<Transport*> route_transports_;  // the transport of each of table_'s routes
    Transport* local_ = nullptr;
};

}  // namespace herald::delivery
