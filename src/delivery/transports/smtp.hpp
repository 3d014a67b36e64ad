#pragma once
// The smtp transport: to the MX hosts of each recipient domain (no `host`), or to one
// smarthost (`host`, `port`, AUTH with the password from `auth_password_file`). One
// transaction per destination; the hosts and addresses are tried in order until one takes
// the message (RFC 5321 5.1); STARTTLS as `tls` says; implicit TLS on port 465.
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/blocking_pool.hpp"
#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/dane.hpp"
#include "delivery/destination.hpp"
#include "delivery/provider_map.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "delivery/tls_policy.hpp"
#include "delivery/tls_session.hpp"
#include "delivery/transport.hpp"
#include "delivery/transports/client_connection.hpp"
#include "delivery/transports/connection_limiter.hpp"
#include "delivery/transports/destination_backoff.hpp"
#include "delivery/transports/destination_pacer.hpp"
#include "delivery/transports/idle_connections.hpp"
#include "delivery/transports/seven_bit_downgrade.hpp"
#include "dns/resolver.hpp"
#include "smtp/client_session.hpp"

namespace herald::delivery {

struct SmtpTransportOptions {
    BlockingPool* pool = nullptr;  // reads the password file; without one it is read inline
    SmtpTimeouts timeouts;
    ReuseLimits reuse;
    std::chrono::seconds unreachable_backoff{60};  // the first; it doubles, up to 15 minutes
    std::filesystem::path ca_file;  // trusted beside the system store when tls = required
    // Notes worth a log line (TLS without verification, a connection that failed); never
    // given a secret.
    std::function<void(const std::string&)> log;
    // Herald's DKIM keys, to sign again what is converted to 7-bit for a server without
    // 8BITMIME; null when none are configured. Outlives the transport.
    std::shared_ptr<const mailauth::dkim::Keyring> dkim;
    // MX mode: a domain whose MX hosts all belong to one provider shares its connections
    // (and their limit, the provider's max_connections) with the provider's other domains.
    std::vector<config::Provider> providers;
    // Their rates, daily limits and reactions to replies, shared by every transport; null:
    // only their connection limits apply.
    TrafficShaper* shaper = nullptr;
    // The transport's source_pool: the addresses it sends from instead of source_address.
    std::vector<config::PoolAddress> source_pool;
    bool source_pool_overflow = false;
    // VERP: each recipient in a transaction of its own, from its own return path.
    ReturnPath return_path;
    // MX mode with `mta_sts`: the recipient domains' MTA-STS policies; null: none.
    std::shared_ptr<TlsPolicySource> tls_policies;
    // MX mode: told what TLS came to on each fresh connection (TLS-RPT); empty: nobody asks.
    TlsSessionSink tls_sessions;
};

class SmtpTransport final : public Transport {
  public:
    SmtpTransport(const config::Transport& config, dns::Resolver& resolver,
                  std::string default_helo, SmtpTransportOptions options = {});

    std::string_view name() const override { return config_.name; }
    boost::asio::awaitable<std::vector<RecipientResult>> deliver(const Delivery& delivery) override;
    void forget_unreachable() override { backoff_.clear(); }
    void close_idle_connections() override {
        if (idle_) idle_->close_all();
    }
    bool connections_closed() const override { return !idle_ || idle_->closing() == 0; }
    std::size_t connections_to_provider(std::string_view provider) const override;

  private:
    struct Group {
        std::string destination;  // the recipient domain, or the smarthost
        std::vector<std::string> recipients;
    };
    struct Attempt;
    struct Pending;
    using TlsaRecords = std::vector<dns::TlsaRecord>;
    // How TLS to one host goes: STARTTLS as `mode` says; the certificate checked against the
    // trust store and the host's name (`verify`), or against TLSA records (`dane`).
    struct HostTls {
        smtp::ClientSettings::Tls mode = smtp::ClientSettings::Tls::opportunistic;
        bool verify = false;
        TlsaRecords dane;
        // Checked as `verify` would, but not required: an MTA-STS policy in testing mode,
        // when TLS sessions are reported.
        bool observe = false;
        // When reported: what a TLS-RPT report says of a connection to this host, but its
        // outcome; a
        // failure given here stands even when TLS goes well (an MX host the policy does not
        // name, TLSA records none usable).
        TlsSession report;
    };

    std::vector<Group> group(const std::vector<std::string>& recipients) const;
    // `policies_waived`: the message says "TLS-Required: No" (RFC 8689 5).
    boost::asio::awaitable<std::vector<RecipientResult>> deliver_group(
        const Group& group, const Delivery& delivery,
        const std::optional<smtp::ClientCredentials>& credentials, bool policies_waived);
    boost::asio::awaitable<Attempt> attempt(const TargetHost& host, const std::string& ip,
                                            const std::string& source,
                                            const smtp::OutboundMessage& message,
                                            const smtp::ClientSettings& settings,
                                            const HostTls& tls);
    boost::asio::awaitable<Attempt> attempt_with_fallback(const TargetHost& host,
                                                          const std::string& ip,
                                                          const std::string& source,
                                                          const smtp::OutboundMessage& message,
                                                          const smtp::ClientSettings& settings,
                                                          const HostTls& tls);
    // Where connections go and how many at once: the provider's, or the destination's own.
    struct ConnectionGroup {
        std::string key;  // "provider google", or the domain / smarthost
        std::size_t max_connections = 0;
        const config::Provider* provider = nullptr;
        std::string source;  // the address the connections go from; "": the system's choice
    };
    boost::asio::awaitable<bool> look_up_dane(Pending& pending, Destination& destination);
    HostTls host_tls(const Pending& pending, std::string_view host) const;
    // Whether anyone counts TLS sessions (TLS-RPT): MX mode with a sink; a smarthost is no
    // domain's policy.
    bool reports_tls() const { return options_.tls_sessions && config_.host.empty(); }
    TlsSession tls_report(const Pending& pending, std::string_view host) const;
    void report_tls(const HostTls& tls, const ClientConnection& connection) const;
    void report(const TlsSession& session) const;
    bool keep_allowed_hosts(Pending& pending, Destination& destination) const;
    bool keep_validated_hosts(Pending& pending, Destination& destination) const;
    bool may_carry(const Pending& pending, const ClientConnection& connection) const;
    const config::Provider* provider_of(const Destination& resolved) const;
    ConnectionGroup connection_group(const std::string& destination,
                                     const config::Provider* provider,
                                     const std::string& source) const;
    std::string connection_key(const std::string& base, const std::string& source) const;
    bool choose_source(Pending& pending, const config::Provider* provider);
    std::vector<std::string> sources_for(std::string_view message_id) const;
    boost::asio::awaitable<std::optional<ConnectionLimiter::Permit>> try_parked(
        const ConnectionGroup& connections, Pending& pending);
    bool held_back(Pending& pending) const;
    bool paced(Pending& pending);
    // What the replies to recipients `answered` say to the shaper; false: try no other host.
    bool react(Pending& pending, const ConnectionGroup& connections,
               const std::vector<std::size_t>& answered);
    std::size_t configured_connections(const config::Provider* provider) const;
    std::size_t max_connections(const config::Provider* provider, const std::string& source) const;
    std::size_t reuse_limit(const ConnectionGroup& connections) const;
    boost::asio::awaitable<std::vector<RecipientResult>> deliver_in_parts(
        const Group& group, std::size_t most, const Delivery& delivery,
        const std::optional<smtp::ClientCredentials>& credentials, bool policies_waived);
    void note_reachability(const std::string& destination, bool reached,
                           const std::string& failure);
    void keep_or_close(const ConnectionGroup& connections,
                       std::unique_ptr<ClientConnection> connection,
                       ConnectionLimiter::Permit permit);
    boost::asio::awaitable<Result<std::optional<smtp::ClientCredentials>>> credentials();
    smtp::ClientSettings client_settings() const;
    smtp::ClientSettings::Tls transport_tls() const;  // as the transport's `tls` says
    // A source address as the shaper and the mainlog name it.
    static std::string source_label(const std::string& source);
    void log(const std::string& line) const;

    config::Transport config_;
    dns::Resolver& resolver_;  // for TLSA records
    std::string helo_;
    SmtpTransportOptions options_;
    DestinationResolver destinations_;
    ProviderMap providers_;
    ConnectionLimiter limiter_;
    DestinationBackoff backoff_;
    DestinationPacer pacer_;
    SevenBitDowngrade downgrade_;
    std::optional<IdleConnections> idle_;  // made on the first delivery, on its executor
    boost::asio::ssl::context verifying_tls_;
    boost::asio::ssl::context opportunistic_tls_;
    std::string tls_setup_error_;  // a CA file that cannot be read: every delivery defers
};

}  // namespace herald::delivery
