#include "delivery/transports/smtp.hpp"

#include <boost/asio/this_coro.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "delivery/transports/smtp_stream.hpp"
#include "message/header_block.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using Outcome = RecipientResult::Outcome;

namespace {

// RFC 8314 3.3: port 465 is SMTP submission over implicit TLS.
constexpr std::uint16_t kImplicitTlsPort = 465;

// The queue keeps time on the steady clock; the shaper on the system clock, which survives a
// restart in its state file.
std::chrono::steady_clock::time_point steady_time(TrafficShaper::Clock::time_point t,
                                                  TrafficShaper::Clock::time_point now) {
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(t - now);
}

Outcome outcome_of(smtp::RecipientStatus status) {
    switch (status) {
        case smtp::RecipientStatus::delivered:
            return Outcome::delivered;
        case smtp::RecipientStatus::failed:
            return Outcome::failed;
        case smtp::RecipientStatus::deferred:
            break;
    }
    return Outcome::deferred;
}

// The password is the file's content without its line ending; it is never logged.
Result<std::string> read_password(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read auth_password_file " + path.string()};
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
        password.pop_back();
    }
    if (password.empty()) return Error{"auth_password_file " + path.string() + " is empty"};
    return password;
}

// RFC 8689 5: "TLS-Required: No" asks that the recipient domains' DANE and MTA-STS policies
// be set aside for this message (STARTTLS is still used where offered). REQUIRETLS outranks
// it.
bool says_tls_not_required(const Delivery& delivery) {
    if (delivery.envelope.require_tls) return false;
    const auto header = message::HeaderBlock::parse(delivery.data);
    const auto* field = header.find("TLS-Required");
    return field != nullptr && equals_ignoring_case(field->value, "No");
}

}  // namespace

// What one connection to one address achieved.
struct SmtpTransport::Attempt {
    std::unique_ptr<ClientConnection> connection;  // null: nothing was said; `why` tells
    std::string why;
    std::string host;    // "mx.example.net"
    std::string remote;  // "mx.example.net [192.0.2.1]"
    Exchange exchange;
};

// A group's recipients still without a final answer, and every answer so far.
struct SmtpTransport::Pending {
    const Group& group;
    const Delivery& delivery;
    std::string source;     // the address it goes from; "": the system's choice
    std::string mail_from;  // the envelope sender, or the recipient's VERP return path
    TlsPolicy policy;       // what the destination asks of TLS
    // What the MX hosts with DNSSEC-secure TLSA records ask, by host name; they are exempt
    // from `policy` (RFC 8461 2).
    std::map<std::string, DaneRequirement, std::less<>> dane;
    std::vector<RecipientResult> results;
    std::vector<std::size_t> open;  // indices into group.recipients

    Pending(const Group& g, const Delivery& d)
        : group(g), delivery(d), mail_from(d.envelope.sender) {
        for (std::size_t i = 0; i < g.recipients.size(); ++i) {
            results.push_back({g.recipients[i], Outcome::deferred, "no host was tried", ""});
            open.push_back(i);
        }
    }

    // Not an attempt: every recipient waits for its turn.
    void wait_until(std::chrono::steady_clock::time_point at, const std::string& why) {
        for (auto& result : results) {
            result.detail = why;
            result.paced_until = at;
        }
    }

    smtp::OutboundMessage message() const {
        const message::Envelope& envelope = delivery.envelope;
        smtp::OutboundMessage m{.sender = mail_from,
                                .data = delivery.data,
                                .smtputf8 = envelope.smtputf8,
                                .body_8bit = envelope.body_8bit,
                                .require_tls = envelope.require_tls,
                                .dsn_return = envelope.dsn_return,
                                .envelope_id = envelope.envelope_id};
        for (std::size_t i : open) {
            m.recipients.push_back(group.recipients[i]);
            if (!envelope.recipient_dsn.empty()) {
                m.recipient_dsn.push_back(envelope.dsn_of(group.recipients[i]));
            }
        }
        return m;
    }

    const DaneRequirement* dane_of(std::string_view host) const {
        auto it = dane.find(host);
        return it == dane.end() ? nullptr : &it->second;
    }

    // The mainlog's P= for a connection to `host`.
    std::string_view policy_label(std::string_view host) const {
        return dane_of(host) ? "dane" : policy.label();
    }

    // Final answers close recipients; those deferred by trouble with the host (RFC 5321 5.1)
    // stay open for the next host. Returns the recipients the server answered.
    std::vector<std::size_t> apply(const Attempt& a) {
        const std::string label(policy_label(a.host));
        if (!a.connection || !a.exchange.result) {
            const std::string why =
                a.connection ? "the server ended the conversation without a transaction" : a.why;
            for (std::size_t i : open) {
                results[i] = {group.recipients[i], Outcome::deferred, why, a.remote};
                results[i].tls_policy = label;
            }
            return {};
        }
        const std::string tls = a.connection->tls_summary();
        const smtp::TransactionResult& result = *a.exchange.result;
        std::vector<std::size_t> answered;
        std::vector<std::size_t> still_open;
        for (std::size_t k = 0; k < result.recipients.size() && k < open.size(); ++k) {
            const auto& reply = result.recipients[k];
            const std::size_t i = open[k];
            results[i] = {
                group.recipients[i], outcome_of(reply.status), reply.reply, a.remote, tls, label};
            if (result.dsn_passed_on)
                results[i].handoff = RecipientResult::Handoff::next_hop_reports;
            answered.push_back(i);
            if (result.try_next_host && reply.status == smtp::RecipientStatus::deferred) {
                still_open.push_back(i);
            }
        }
        open = std::move(still_open);
        return answered;
    }
};

SmtpTransport::SmtpTransport(const config::Transport& config, dns::Resolver& resolver,
                             std::string default_helo, SmtpTransportOptions options)
    : config_(config),
      resolver_(resolver),
      helo_(std::move(default_helo)),
      options_(std::move(options)),
      destinations_(resolver),
      providers_(options_.providers),
      limiter_(config.max_connections),
      backoff_(options_.unreachable_backoff),
      pacer_(config.max_messages_per_minute),
      downgrade_(options_.dkim, options_.log),
      verifying_tls_(asio::ssl::context::tls_client),
      opportunistic_tls_(asio::ssl::context::tls_client) {
    boost::system::error_code ec;
    verifying_tls_.set_default_verify_paths(ec);
    if (!ec && !options_.ca_file.empty()) verifying_tls_.load_verify_file(options_.ca_file, ec);
    if (ec) {
        tls_setup_error_ = "cannot load the trusted certificates " + options_.ca_file.string() +
                           ": " + ec.message();
    }
    SSL_CTX_set_min_proto_version(verifying_tls_.native_handle(), TLS1_2_VERSION);
    // Lets single connections check certificates against TLSA records (RFC 7672).
    if (SSL_CTX_dane_enable(verifying_tls_.native_handle()) <= 0 && tls_setup_error_.empty()) {
        tls_setup_error_ = "OpenSSL cannot check TLSA records (DANE)";
    }
}

asio::awaitable<std::vector<RecipientResult>> SmtpTransport::deliver(const Delivery& delivery) {
    std::vector<RecipientResult> results;
    auto credentials_read = co_await credentials();
    std::string trouble = tls_setup_error_;
    if (!credentials_read) trouble = credentials_read.error();
    if (!trouble.empty()) {
        for (const auto& recipient : delivery.recipients) {
            results.push_back(
                {recipient, Outcome::deferred, "transport " + config_.name + ": " + trouble, ""});
        }
        co_return results;
    }
    // The header is read once for all the message's destinations.
    const bool waived = config_.host.empty() && says_tls_not_required(delivery);
    for (const Group& g : group(delivery.recipients)) {
        auto group_results = co_await deliver_group(g, delivery, *credentials_read, waived);
        std::move(group_results.begin(), group_results.end(), std::back_inserter(results));
    }
    // The caller gets the results in the order of its recipients.
    std::vector<RecipientResult> ordered;
    ordered.reserve(results.size());
    for (const auto& recipient : delivery.recipients) {
        auto it = std::find_if(results.begin(), results.end(),
                               [&](const RecipientResult& r) { return r.recipient == recipient; });
        ordered.push_back(std::move(*it));
        results.erase(it);
    }
    co_return ordered;
}

// MX mode: one transaction per recipient domain. Smarthost: one for all.
std::vector<SmtpTransport::Group> SmtpTransport::group(
    const std::vector<std::string>& recipients) const {
    std::vector<Group> groups;
    for (const auto& recipient : recipients) {
        const std::string destination =
            config_.host.empty() ? ascii_lowercase(domain_of(recipient)) : config_.host;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const Group& g) { return g.destination == destination; });
        if (it == groups.end()) it = groups.insert(groups.end(), Group{destination, {}});
        it->recipients.push_back(recipient);
    }
    return groups;
}

asio::awaitable<std::vector<RecipientResult>> SmtpTransport::deliver_group(
    const Group& g, const Delivery& delivery,
    const std::optional<smtp::ClientCredentials>& credentials, bool policies_waived) {
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    Pending pending(g, delivery);
    if (held_back(pending) || paced(pending)) co_return std::move(pending.results);
    Destination destination;
    if (config_.host.empty()) {
        destination = co_await destinations_.for_domain(g.destination);
    } else {
        destination = co_await destinations_.for_host(g.destination);
    }
    if (!destination.ok()) {
        const Outcome outcome =
            destination.status == Destination::Status::failed ? Outcome::failed : Outcome::deferred;
        for (auto& result : pending.results)
            result = {result.recipient, outcome, destination.reason, ""};
        co_return std::move(pending.results);
    }
    if (policies_waived) {
        log(std::string(delivery.message_id) +
            ": TLS-Required: No; the DANE and MTA-STS policies of " + g.destination +
            " are set aside");
    }
    const bool to_mx_hosts = config_.host.empty() && !policies_waived;
    if (to_mx_hosts && config_.dane) {
        const bool hosts_left = co_await look_up_dane(pending, destination);
        if (!hosts_left) co_return std::move(pending.results);
    }
    if (to_mx_hosts && config_.mta_sts && options_.tls_policies) {
        pending.policy = co_await options_.tls_policies->policy_for(g.destination);
        // RFC 8689 4.2.1: the sender asked for validated TLS, which a policy under test
        // would not give.
        if (delivery.envelope.require_tls && pending.policy.kind == TlsPolicy::Kind::sts_testing) {
            pending.policy.kind = TlsPolicy::Kind::sts_enforce;
        }
        if (!keep_allowed_hosts(pending, destination)) co_return std::move(pending.results);
    }
    if (delivery.envelope.require_tls && !keep_validated_hosts(pending, destination)) {
        co_return std::move(pending.results);
    }
    const config::Provider* provider = provider_of(destination);
    const bool verp = options_.return_path && !delivery.envelope.sender.empty();
    if (verp && g.recipients.size() > 1) {
        co_return co_await deliver_in_parts(g, 1, delivery, credentials, policies_waived);
    }
    if (provider != nullptr && provider->max_recipients_per_message > 0 &&
        g.recipients.size() > provider->max_recipients_per_message) {
        co_return co_await deliver_in_parts(g, provider->max_recipients_per_message, delivery,
                                            credentials, policies_waived);
    }
    if (verp) {
        if (auto path = options_.return_path(delivery.message_id, g.recipients.front())) {
            pending.mail_from = std::move(*path);
        }
    }
    if (!choose_source(pending, provider)) co_return std::move(pending.results);
    const ConnectionGroup connections = connection_group(g.destination, provider, pending.source);
    std::optional<ConnectionLimiter::Permit> permit = co_await try_parked(connections, pending);
    if (pending.open.empty()) co_return std::move(pending.results);
    // Over the limit, a delivery waits for a slot or for a connection parked by another: under
    // load the open connections carry message after message instead of one each.
    while (!permit) {
        auto granted =
            co_await limiter_.acquire_or_parked(connections.key, connections.max_connections);
        // While this delivery waited, another may have found the host dead.
        if (held_back(pending)) co_return std::move(pending.results);
        if (granted) {
            permit.emplace(std::move(*granted));
            break;
        }
        auto freed = co_await try_parked(connections, pending);
        if (pending.open.empty()) co_return std::move(pending.results);
        if (freed) permit.emplace(std::move(*freed));
    }
    smtp::ClientSettings settings = client_settings();
    settings.auth = credentials;
    bool reached = false;
    std::string last_failure;
    for (const TargetHost& host : destination.hosts) {
        const HostTls tls = host_tls(pending, host.name);
        settings.tls = tls.mode;
        for (const std::string& ip : host.addresses) {
            if (pending.open.empty()) break;
            const smtp::OutboundMessage message = pending.message();
            Attempt a =
                co_await attempt_with_fallback(host, ip, pending.source, message, settings, tls);
            if (a.connection) {
                reached = true;
            } else {
                log(a.why);
                last_failure = a.why;
            }
            const bool other_hosts = react(pending, connections, pending.apply(a));
            if (a.connection && a.connection->reusable()) {
                // The transaction is complete: every recipient has its answer.
                backoff_.reachable(g.destination);
                keep_or_close(connections, std::move(a.connection), std::move(*permit));
                co_return std::move(pending.results);
            }
            if (!other_hosts) pending.open.clear();
        }
    }
    note_reachability(g.destination, reached, last_failure);
    co_return std::move(pending.results);
}

// RFC 7672 2.2: the TLSA records of each DNSSEC-secure MX host; a host whose lookup failed is
// not tried. False when none is left: every recipient is deferred.
asio::awaitable<bool> SmtpTransport::look_up_dane(Pending& pending, Destination& destination) {
    std::string failures;
    std::vector<TargetHost> kept;
    for (TargetHost& host : destination.hosts) {
        DaneRequirement dane = co_await dane_requirement_for(resolver_, host, config_.port);
        if (dane.kind == DaneRequirement::Kind::unreachable) {
            log(dane.why + "; " + host.name + " is not tried");
            report({.domain = pending.group.destination,
                    .policy = TlsSession::Policy::tlsa,
                    .mx_hosts = {host.name},
                    .failure = TlsFailure::dnssec_invalid,
                    .receiving_mx = host.name});
            failures += (failures.empty() ? "" : "; ") + dane.why;
            continue;
        }
        if (dane.applies()) pending.dane.emplace(host.name, std::move(dane));
        kept.push_back(std::move(host));
    }
    destination.hosts = std::move(kept);
    if (!destination.hosts.empty()) co_return true;
    for (auto& result : pending.results) {
        result.detail = "451 4.7.5 " + failures;
        result.tls_policy = "dane";
    }
    co_return false;
}

// REQUIRETLS (RFC 8689 4.2.1): only hosts whose TLS DANE or an enforced MTA-STS policy
// validates, or a smarthost whose certificate is verified. False when none is left: the
// message bounces, since waiting would not make the destination publish a policy.
bool SmtpTransport::keep_validated_hosts(Pending& pending, Destination& destination) const {
    std::erase_if(destination.hosts, [&](const TargetHost& host) {
        if (!config_.host.empty()) return config_.tls != config::Transport::TlsMode::required;
        const DaneRequirement* dane = pending.dane_of(host.name);
        if (dane) return dane->kind != DaneRequirement::Kind::authenticate;
        return !pending.policy.enforced();
    });
    if (!destination.hosts.empty()) return true;
    const std::string why =
        config_.host.empty()
            ? "no MX host of " + pending.group.destination +
                  " is covered by DANE or an enforced MTA-STS policy"
            : "transport " + config_.name + " does not verify its smarthost's TLS (tls = required)";
    for (auto& result : pending.results) {
        result = {result.recipient, Outcome::failed,
                  "550 5.7.30 REQUIRETLS support required: " + why, ""};
        result.tls_policy = pending.policy.label();
    }
    log(pending.results.front().detail);
    return false;
}

// How TLS to `host` goes: as its TLSA records say (RFC 7672), else as the destination's
// policy and the transport's `tls` say.
SmtpTransport::HostTls SmtpTransport::host_tls(const Pending& pending,
                                               std::string_view host) const {
    using Tls = smtp::ClientSettings::Tls;
    HostTls tls;
    if (reports_tls()) tls.report = tls_report(pending, host);
    if (const DaneRequirement* dane = pending.dane_of(host)) {
        tls.mode = Tls::required;
        tls.verify = dane->kind == DaneRequirement::Kind::authenticate;
        if (tls.verify) tls.dane = dane->records;
        return tls;
    }
    // RFC 8461 4.2: under an enforced policy, TLS with a certificate valid for the MX host,
    // and no falling back to plaintext. Under testing, the check counts for the report only.
    tls.mode = pending.policy.enforced() ? Tls::required : transport_tls();
    tls.verify = tls.mode == Tls::required;
    tls.observe = reports_tls() && pending.policy.kind == TlsPolicy::Kind::sts_testing;
    return tls;
}

// What a TLS-RPT report says of connections to `host` (RFC 8460 4.3), their outcome aside.
TlsSession SmtpTransport::tls_report(const Pending& pending, std::string_view host) const {
    TlsSession session{.domain = pending.group.destination, .receiving_mx = std::string(host)};
    if (const DaneRequirement* dane = pending.dane_of(host)) {
        session.policy = TlsSession::Policy::tlsa;
        for (const auto& record : dane->records) {
            session.policy_strings.push_back(presentation(record));
        }
        session.mx_hosts = {std::string(host)};
        if (dane->kind == DaneRequirement::Kind::encrypt)
            session.failure = TlsFailure::tlsa_invalid;
    } else if (pending.policy.fetch_failure) {
        session.policy = TlsSession::Policy::sts;
        session.failure = pending.policy.fetch_failure;
    } else if (pending.policy.kind != TlsPolicy::Kind::opportunistic) {
        session.policy = TlsSession::Policy::sts;
        session.policy_strings = pending.policy.policy_strings;
        session.mx_hosts = pending.policy.mx_patterns;
        if (!pending.policy.names(host)) session.failure = TlsFailure::validation_failure;
    }
    return session;
}

// What TLS came to on a fresh connection, for the report: STARTTLS missing, a handshake that
// failed, a certificate that did not pass the check the policy asks for.
void SmtpTransport::report_tls(const HostTls& tls, const ClientConnection& connection) const {
    using State = TlsOutcome::State;
    const TlsOutcome outcome = connection.tls_outcome();
    if (outcome.state == State::unknown) return;
    TlsSession session = tls.report;
    const bool certificate_failed =
        (tls.verify || tls.observe) && outcome.certificate_error != X509_V_OK;
    const TlsFailure certificate_failure = failure_of_certificate_error(outcome.certificate_error);
    if (outcome.state == State::unavailable) {
        session.failure = TlsFailure::starttls_not_supported;
    } else if (outcome.state == State::failed) {
        session.failure = certificate_failed ? certificate_failure : TlsFailure::validation_failure;
    } else if (certificate_failed) {
        session.failure = certificate_failure;
    }
    session.sending_ip = connection.local_address();
    session.receiving_ip = connection.target().ip;
    report(session);
}

void SmtpTransport::report(const TlsSession& session) const {
    if (reports_tls()) options_.tls_sessions(session);
}

// RFC 8461 4.1: under an enforced policy, only the MX hosts it names (and those DANE
// covers). False when none is left: every recipient is deferred (the policy or the MX
// records may be fixed meanwhile).
bool SmtpTransport::keep_allowed_hosts(Pending& pending, Destination& destination) const {
    std::vector<std::string> refused;
    std::erase_if(destination.hosts, [&](const TargetHost& host) {
        if (pending.policy.allows(host.name) || pending.dane_of(host.name)) return false;
        if (reports_tls()) report(tls_report(pending, host.name));
        refused.push_back(host.name);
        return true;
    });
    if (!destination.hosts.empty()) return true;
    std::string names;
    for (const auto& name : refused) names += (names.empty() ? "" : ", ") + name;
    for (auto& result : pending.results) {
        result.detail = "MTA-STS policy of " + pending.group.destination +
                        " names none of its MX hosts (" + names + ")";
        result.tls_policy = pending.policy.label();
    }
    log(pending.results.front().detail);
    return false;
}

// MX mode: the provider whose fleet holds every MX host of the destination, if any.
const config::Provider* SmtpTransport::provider_of(const Destination& resolved) const {
    if (!config_.host.empty()) return nullptr;
    std::vector<std::string> mx_hosts;
    for (const auto& host : resolved.hosts) mx_hosts.push_back(host.name);
    return providers_.provider_of(mx_hosts);
}

SmtpTransport::ConnectionGroup SmtpTransport::connection_group(const std::string& destination,
                                                               const config::Provider* provider,
                                                               const std::string& source) const {
    const std::string base = provider ? provider_key(provider->name) : destination;
    return {connection_key(base, source), max_connections(provider, source), provider, source};
}

// With a pool, each source address has connections of its own.
std::string SmtpTransport::connection_key(const std::string& base,
                                          const std::string& source) const {
    return options_.source_pool.empty() ? base : base + " from " + source;
}

// The provider's limit, or the transport's.
std::size_t SmtpTransport::configured_connections(const config::Provider* provider) const {
    return provider && provider->max_connections > 0 ? provider->max_connections
                                                     : config_.max_connections;
}

// The configured limit; lower while a reply's cap holds.
std::size_t SmtpTransport::max_connections(const config::Provider* provider,
                                           const std::string& source) const {
    const std::size_t configured = configured_connections(provider);
    if (provider == nullptr || options_.shaper == nullptr) return configured;
    return options_.shaper->max_connections(source_label(source), *provider, configured,
                                            TrafficShaper::Clock::now());
}

std::size_t SmtpTransport::reuse_limit(const ConnectionGroup& connections) const {
    const std::size_t own =
        connections.provider ? connections.provider->max_messages_per_connection : 0;
    return own > 0 ? std::min(own, options_.reuse.max_messages) : options_.reuse.max_messages;
}

// A message to more recipients of a provider than it takes at once goes in several
// transactions, one after the other.
asio::awaitable<std::vector<RecipientResult>> SmtpTransport::deliver_in_parts(
    const Group& g, std::size_t most, const Delivery& delivery,
    const std::optional<smtp::ClientCredentials>& credentials, bool policies_waived) {
    std::vector<RecipientResult> results;
    for (std::size_t start = 0; start < g.recipients.size(); start += most) {
        const std::size_t end = std::min(g.recipients.size(), start + most);
        const Group part{g.destination,
                         {g.recipients.begin() + static_cast<std::ptrdiff_t>(start),
                          g.recipients.begin() + static_cast<std::ptrdiff_t>(end)}};
        auto part_results = co_await deliver_group(part, delivery, credentials, policies_waived);
        std::move(part_results.begin(), part_results.end(), std::back_inserter(results));
    }
    co_return results;
}

// The source address this message goes from: its own by weight (the same at every attempt),
// or with `overflow` the next of the pool that the provider's shaping lets go now. False: it
// waits for its turn.
bool SmtpTransport::choose_source(Pending& pending, const config::Provider* provider) {
    const auto order = sources_for(pending.delivery.message_id);
    pending.source = order.front();
    if (provider == nullptr || options_.shaper == nullptr) return true;
    const auto now = TrafficShaper::Clock::now();
    std::optional<TrafficShaper::Admission> first_wait;
    for (const std::string& source : order) {
        auto admission = options_.shaper->admit(source_label(source), *provider,
                                                pending.delivery.message_id, now);
        if (admission.at <= now) {
            pending.source = source;
            return true;
        }
        if (!first_wait || admission.at < first_wait->at) first_wait = std::move(admission);
        if (!options_.source_pool_overflow) break;
    }
    pending.wait_until(steady_time(first_wait->at, now), first_wait->why);
    return false;
}

// The pool's addresses, the message's own first: picked by weight from a hash of its id, so
// that every attempt picks the same one and the shares follow the weights.
std::vector<std::string> SmtpTransport::sources_for(std::string_view message_id) const {
    if (options_.source_pool.empty()) return {config_.source_address};
    std::size_t total = 0;
    for (const auto& address : options_.source_pool) total += address.weight;
    std::size_t point = std::hash<std::string_view>{}(message_id) % total;
    std::size_t own = 0;
    while (point >= options_.source_pool[own].weight) point -= options_.source_pool[own++].weight;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < options_.source_pool.size(); ++i) {
        order.push_back(options_.source_pool[(own + i) % options_.source_pool.size()].address);
    }
    return order;
}

bool SmtpTransport::react(Pending& pending, const ConnectionGroup& connections,
                          const std::vector<std::size_t>& answered) {
    const config::Provider* provider = connections.provider;
    if (provider == nullptr || options_.shaper == nullptr) return true;
    const std::string source = source_label(connections.source);
    const auto now = TrafficShaper::Clock::now();
    bool other_hosts = true;
    bool accepted = false;
    for (std::size_t i : answered) {
        RecipientResult& result = pending.results[i];
        if (result.outcome == Outcome::delivered) {
            accepted = true;
            continue;
        }
        const auto reaction = options_.shaper->react(
            source, *provider, configured_connections(provider), result.detail, now);
        if (!reaction) continue;
        if (reaction->action == config::ShapingRule::Action::bounce) {
            result.outcome = Outcome::failed;
            std::erase(pending.open, i);
            continue;
        }
        if (reaction->action == config::ShapingRule::Action::suspend) {
            result.outcome = Outcome::deferred;
        }
        if (result.outcome == Outcome::deferred) {
            // The provider counts per source address: its other hosts would say the same.
            // Another address of the pool may take it at once.
            auto retry_at = reaction->retry_at;
            if (options_.source_pool_overflow) {
                retry_at = std::min(retry_at, now + TrafficShaper::kMinRetry);
            }
            result.retry_at = steady_time(retry_at, now);
            other_hosts = false;
        }
    }
    if (accepted) options_.shaper->accepted(source, *provider, now);
    return other_hosts;
}

std::size_t SmtpTransport::connections_to_provider(std::string_view provider) const {
    if (!config_.host.empty()) return 0;
    std::size_t open = 0;
    // Any message's order holds every source address once.
    for (const std::string& source : sources_for("")) {
        open += limiter_.in_use(connection_key(provider_key(provider), source));
    }
    return open;
}

bool SmtpTransport::held_back(Pending& pending) const {
    auto why = backoff_.holding(pending.group.destination, DestinationBackoff::Clock::now());
    if (!why) return false;
    for (auto& result : pending.results) result.detail = *why;
    return true;
}

bool SmtpTransport::paced(Pending& pending) {
    const auto now = DestinationPacer::Clock::now();
    const std::string& destination = pending.group.destination;
    const auto at = pacer_.slot(destination, std::string(pending.delivery.message_id), now);
    if (at <= now) return false;
    pending.wait_until(steady_time(at, now), "paced: " + destination + " gets " +
                                                 std::to_string(config_.max_messages_per_minute) +
                                                 " messages a minute");
    return true;
}

void SmtpTransport::note_reachability(const std::string& destination, bool reached,
                                      const std::string& failure) {
    if (reached || failure.empty()) {
        backoff_.reachable(destination);
        return;
    }
    auto wait = backoff_.unreachable(destination, failure, DestinationBackoff::Clock::now());
    log("destination " + destination + " unreachable; its mail waits " +
        std::to_string(wait.count()) + " s before the next attempt");
}

// A connection parked by an earlier delivery to this destination (or to another domain of its
// provider) carries the message if it still works; its permit then serves any fresh
// connection the rest needs.
asio::awaitable<std::optional<ConnectionLimiter::Permit>> SmtpTransport::try_parked(
    const ConnectionGroup& connections, Pending& pending) {
    if (!idle_) {
        auto executor = co_await asio::this_coro::executor;
        idle_.emplace(executor, options_.reuse);
    }
    auto held = idle_->take(connections.key);
    if (!held) co_return std::nullopt;
    // A connection parked by a delivery to another domain of the provider may not satisfy
    // this destination's policy: its permit serves a fresh connection instead.
    if (!may_carry(pending, *held->connection)) {
        auto permit = std::move(held->permit);
        idle_->close(
            HeldConnection{std::move(held->connection), ConnectionLimiter::Permit{nullptr, ""}});
        co_return std::move(permit);
    }
    const smtp::OutboundMessage message = pending.message();
    Attempt a;
    a.host = held->connection->target().peer_name;
    a.remote = held->connection->target().where;
    a.exchange = co_await held->connection->send_next(message);
    a.connection = std::move(held->connection);
    if (!react(pending, connections, pending.apply(a))) pending.open.clear();
    if (a.connection->reusable()) {
        keep_or_close(connections, std::move(a.connection), std::move(held->permit));
        co_return std::nullopt;
    }
    co_return std::move(held->permit);
}

// Whether a parked connection meets what this destination asks of TLS to its host.
bool SmtpTransport::may_carry(const Pending& pending, const ClientConnection& connection) const {
    const ConnectionTarget& target = connection.target();
    if (pending.delivery.envelope.require_tls && !target.verify) return false;
    if (const DaneRequirement* dane = pending.dane_of(target.peer_name)) {
        return dane->kind == DaneRequirement::Kind::authenticate ? !target.dane.empty()
                                                                 : connection.tls_active();
    }
    // A host outside the destination's DANE-covered ones cannot stand in for them.
    if (!pending.dane.empty()) return false;
    return !pending.policy.enforced() || (target.verify && pending.policy.allows(target.peer_name));
}

// The connection waits a little for the next message, and a delivery waiting for a slot to
// this destination is told to take it; unless it has carried its share or a reply has since
// capped the connections below those open.
void SmtpTransport::keep_or_close(const ConnectionGroup& connections,
                                  std::unique_ptr<ClientConnection> connection,
                                  ConnectionLimiter::Permit permit) {
    HeldConnection held{std::move(connection), std::move(permit)};
    const std::string& key = connections.key;
    if (held.connection->transactions() >= reuse_limit(connections) ||
        limiter_.in_use(key) > max_connections(connections.provider, connections.source)) {
        idle_->close(std::move(held));
        return;
    }
    idle_->park(key, std::move(held));
    limiter_.offer_parked(key);
}

// A server whose TLS is broken still gets the mail in plaintext when TLS is only
// opportunistic (RFC 7435), but never credentials.
asio::awaitable<SmtpTransport::Attempt> SmtpTransport::attempt_with_fallback(
    const TargetHost& host, const std::string& ip, const std::string& source,
    const smtp::OutboundMessage& message, const smtp::ClientSettings& settings,
    const HostTls& tls) {
    Attempt a = co_await attempt(host, ip, source, message, settings, tls);
    if (a.exchange.starttls_failed && settings.tls == smtp::ClientSettings::Tls::opportunistic &&
        !settings.auth) {
        log("TLS with " + a.remote + " failed; retrying without TLS");
        smtp::ClientSettings plain = settings;
        plain.tls = smtp::ClientSettings::Tls::none;
        a = co_await attempt(host, ip, source, message, plain, tls);
    }
    co_return a;
}

asio::awaitable<SmtpTransport::Attempt> SmtpTransport::attempt(const TargetHost& host,
                                                               const std::string& ip,
                                                               const std::string& source,
                                                               const smtp::OutboundMessage& message,
                                                               const smtp::ClientSettings& settings,
                                                               const HostTls& tls) {
    const bool verify = tls.verify && settings.tls != smtp::ClientSettings::Tls::none;
    ConnectionTarget target{
        .ip = ip,
        .port = config_.port,
        .source_ip = source,
        // A certificate names the host; for an address literal there is only the address.
        .peer_name = host.name.starts_with('[') ? ip : host.name,
        .where = host.name + " [" + ip + "]:" + std::to_string(config_.port),
        .verify = verify,
        .dane = verify ? tls.dane : TlsaRecords{},
        .implicit_tls =
            config_.port == kImplicitTlsPort && settings.tls != smtp::ClientSettings::Tls::none,
    };
    Attempt a;
    a.host = host.name;
    a.remote = host.name + " [" + ip + "]";
    auto executor = co_await asio::this_coro::executor;
    const bool checked = verify || tls.observe;
    auto connection =
        std::make_unique<ClientConnection>(executor, checked ? verifying_tls_ : opportunistic_tls_,
                                           std::move(target), options_.timeouts, options_.log);
    if (auto opened = co_await connection->open(); !opened) {
        a.why = opened.error();
        co_return a;
    }
    a.exchange = co_await connection->send_first(settings, message);
    if (reports_tls() && settings.tls != smtp::ClientSettings::Tls::none) {
        report_tls(tls, *connection);
    }
    a.connection = std::move(connection);
    co_return a;
}

asio::awaitable<Result<std::optional<smtp::ClientCredentials>>> SmtpTransport::credentials() {
    using Credentials = std::optional<smtp::ClientCredentials>;
    if (config_.auth_user.empty()) co_return Credentials();
    const std::filesystem::path path = config_.auth_password_file;
    Result<std::string> password = Error{""};
    if (options_.pool) {
        // By reference: GCC 12 destroys owning captures of a co_await operand twice.
        password = co_await options_.pool->run([&path] { return read_password(path); });
    } else {
        password = read_password(path);
    }
    if (!password) co_return Error{password.error()};
    co_return Credentials(smtp::ClientCredentials{config_.auth_user, std::move(*password)});
}

smtp::ClientSettings SmtpTransport::client_settings() const {
    smtp::ClientSettings settings;
    settings.helo = config_.helo.empty() ? helo_ : config_.helo;
    // The transport outlives every connection and session it makes.
    settings.to_seven_bit = [this](std::string_view data) { return downgrade_(data); };
    settings.tls = transport_tls();
    return settings;
}

smtp::ClientSettings::Tls SmtpTransport::transport_tls() const {
    switch (config_.tls) {
        case config::Transport::TlsMode::none:
            return smtp::ClientSettings::Tls::none;
        case config::Transport::TlsMode::opportunistic:
            return smtp::ClientSettings::Tls::opportunistic;
        case config::Transport::TlsMode::required:
            return smtp::ClientSettings::Tls::required;
    }
    return smtp::ClientSettings::Tls::opportunistic;  // unreachable: every mode is above
}

std::string SmtpTransport::source_label(const std::string& source) {
    return source.empty() ? "default" : source;
}

void SmtpTransport::log(const std::string& line) const {
    if (options_.log) options_.log(line);
}

}  // namespace herald::delivery
