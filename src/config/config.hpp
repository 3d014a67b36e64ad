#pragma once
// The typed configuration: what config/herald.toml says, after validation. Every key is
// documented in docs/config.md; defaults live here so that a minimal file works.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/redis_url.hpp"

namespace herald::config {

using Seconds = std::chrono::seconds;

enum class ListenerMode { relay, submission, submissions, http, unsubscribe };

struct Listener {
    std::string address;  // "host:port"; IPv6 as "[::1]:2525"
    std::string host;     // split from address
    std::uint16_t port = 0;
    ListenerMode mode = ListenerMode::relay;
    bool tls = false;  // mode = "http" or "unsubscribe": HTTPS with [tls] cert and key
    // SMTP modes: the largest message this listener takes (SIZE); 0: [limits]'s.
    std::size_t max_message_size = 0;

    bool operator==(const Listener&) const = default;
};

struct Server {
    std::string hostname = "localhost.localdomain";
    std::filesystem::path spool_dir = "var/spool";
    std::filesystem::path log_dir = "var/log";
    std::size_t log_rotate_size = 0;  // rotate once the mainlog is this big; 0: never by size
    std::size_t log_keep = 10;        // generations kept: mainlog.1 ... mainlog.N
    // Issue 16: started as root, Herald binds its listeners, then becomes this user.
    std::string user;   // empty: stays who it was started as (root only with --allow-root)
    std::string group;  // empty: the user's primary group

    bool operator==(const Server&) const = default;
};

// RFC 5321 4.5.3 limits and the abuse limits around them.
struct Limits {
    std::size_t max_message_size = 36700160;  // 35 MiB, advertised with SIZE
    std::size_t max_recipients = 100;         // RFC 5321 4.5.3.1.8: at least 100
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_ip = 50;
    std::size_t max_errors = 10;            // then 421 and close
    std::size_t max_received_headers = 30;  // hop count: more is a loop (554 5.4.6)
    Seconds command_timeout{300};           // RFC 5321 4.5.3.2.7: 5 minutes
    Seconds data_timeout{600};              // 4.5.3.2.6: DATA termination, 10 minutes
    Seconds auth_failure_delay{2};
    // Issue 14: what an attacker can pin (disk) and guess (passwords).
    std::size_t spool_reserve = 10485760;           // free bytes kept beyond 1.5 x SIZE (10 MiB)
    std::size_t auth_failures_before_lockout = 10;  // 0: never lock out
    Seconds auth_lockout{900};                      // and the window failures are counted in

    bool operator==(const Limits&) const = default;
};

struct Smtp {
    // "reject" refuses a message with a bare CR or LF (SMTP smuggling defence);
    // "normalize" turns each into CRLF instead.
    enum class BareLineEndings { reject, normalize };
    BareLineEndings bare_line_endings = BareLineEndings::reject;
    bool allow_plaintext_auth_on_loopback = false;
};

struct Dns {
    std::vector<std::string> servers;  // "ip:port" ("[v6]:port"); empty: /etc/resolv.conf
    // DNSSEC trust anchors (DS or DNSKEY records, as /usr/share/dns/root.key); empty: no
    // answer is validated, so DANE is off. The servers must then pass DNSSEC records on.
    std::filesystem::path trust_anchor;
    // Log-mode checks of accepted messages that wait on DNS at once (accept/pending_checks.hpp).
    std::size_t max_pending_checks = 1000;

    bool operator==(const Dns&) const = default;
};

struct Tls {
    std::filesystem::path cert;  // empty: a self-signed certificate is generated
    std::filesystem::path key;
    // How often the files are looked at: renewed (by an ACME client), they are loaded again.
    Seconds check_interval{60};
};

struct Relay {
    std::vector<std::string> networks = {"127.0.0.0/8", "::1/128"};
    bool block_auth_relay_on_relay_listeners = true;
    bool mask_client_ip = true;
    bool allow_unknown_sender_domains = false;
};

struct User {
    std::string name;
    std::string password_hash;                // crypt(3)
    std::vector<std::string> sender_domains;  // lower-case; "*" allows every domain
};

// [[api_key]]: a client of the HTTP sending API. Its mail is that of user "api:<name>" to the
// policies (sender rights, [reject] users, [[rate_limit]] match = "user", the mainlog's A=).
struct ApiKey {
    std::string name;
    std::string key_sha256;                   // lower-case hex; the token itself is never here
    std::vector<std::string> sender_domains;  // lower-case; "*" allows every domain
    std::string user() const { return "api:" + name; }
};

struct Local {
    enum class Mailbox { maildir, mbox };
    std::vector<std::string> domains;
    Mailbox mailbox = Mailbox::maildir;
    std::string path = "var/mail/{user}";
    // The local recipients accepted at RCPT (anything else: 550 5.1.1): "user" (in every local
    // domain) or "user@domain". recipients_file adds one a line; aliases_file maps names to
    // mailboxes or addresses ("team: alice, bob@example.net"). Both are read again on reload.
    std::vector<std::string> recipients;
    std::filesystem::path recipients_file;
    std::filesystem::path aliases_file;
    // Where RCPT TO:<postmaster> goes (RFC 5321 4.5.1); empty: postmaster@ the first local
    // domain, or postmaster@ server.hostname without local domains.
    std::string postmaster;
};

struct Transport {
    enum class Type { smtp, null, http, maildir, mbox };
    enum class TlsMode { none, opportunistic, required };
    std::string name;
    Type type = Type::smtp;
    std::string host;  // smtp: empty means MX lookup
    std::uint16_t port = 25;
    TlsMode tls = TlsMode::opportunistic;
    std::string auth_user;
    std::filesystem::path auth_password_file;
    std::string helo;
    std::string source_address;
    std::string source_pool;  // smtp: an [[ip_pool]] to send from instead of source_address
    std::filesystem::path tls_ca_file;  // smtp, http: trusted beside the system's CAs
    // smtp to MX hosts: honour the recipient domains' MTA-STS policies (RFC 8461).
    bool mta_sts = true;
    // smtp to MX hosts: honour DNSSEC-secure TLSA records (RFC 7672); needs [dns] trust_anchor.
    bool dane = true;
    std::size_t max_connections = 20;
    std::size_t max_messages_per_minute = 0;  // smtp: per destination; 0: no pace
    std::string url;                          // http
    std::string format = "rfc822";            // http: rfc822 | json
    std::string path;                         // maildir | mbox: template with {user} (and {domain})
};

// Issue 17: a mailbox provider, the MX fleet behind many domains (config/shaping.toml has the
// built-in ones). A domain whose MX hosts all match `mx` shares the provider's connections.
// Its limits count per source address (a transport's), as the providers count them; 0 means
// none of its own (the transport's connection and reuse limits apply, and no rate).
struct Provider {
    std::string name;
    std::vector<std::string> mx;      // host patterns: "*.google.com" (any subdomain) or a host
    std::size_t max_connections = 0;  // per transport (source address); 0: the transport's
    std::size_t max_messages_per_connection = 0;
    std::size_t max_messages_per_minute = 0;
    std::size_t max_messages_per_hour = 0;
    std::size_t max_messages_per_day = 0;
    std::size_t max_recipients_per_message = 0;

    bool operator==(const Provider&) const = default;
};

// Issue 17: what Herald does when a provider's reply says "slow down" (or "stop trying").
// A rule matches by code, enhanced code and a regex on the text; the fields it leaves empty
// match anything.
struct ShapingRule {
    enum class Action { reduce_rate, cap_connections, suspend, bounce };
    std::string name;
    std::string provider;       // empty: every provider
    int code = 0;               // 0: any
    std::string enhanced_code;  // "4.7.28"; empty: any
    std::string match;          // ECMAScript regex, case-insensitive; empty: any text
    Action action = Action::reduce_rate;
    double factor = 0.5;          // reduce_rate: the new rate is this share of the current one
    std::size_t connections = 1;  // cap_connections
    Seconds duration{600};        // suspend

    bool operator==(const ShapingRule&) const = default;
};

// Issue 17: source addresses a transport sends from, by weight. An address may warm up: a
// daily cap per provider that starts at warmup_start on its first day of sending and grows
// by warmup_factor a day.
struct PoolAddress {
    std::string address;
    std::size_t weight = 1;
    std::size_t warmup_start = 0;  // 0: no warm-up
    double warmup_factor = 1.5;

    bool operator==(const PoolAddress&) const = default;
};

struct IpPool {
    std::string name;
    std::vector<PoolAddress> addresses;
    // Mail over its address's cap for a provider (or with it suspended) may go from another
    // address of the pool; otherwise it waits for its own.
    bool overflow = false;

    bool operator==(const IpPool&) const = default;
};

struct Shaping {
    // A reaction relaxes one step after this long without another.
    Seconds quiet_period{300};
    // Each step gives back this share of the rate from before the first reduction.
    double recovery_step = 0.1;
    std::vector<ShapingRule> rules;  // the built-in ones, then [[shaping_rule]] tables

    bool operator==(const Shaping&) const = default;
};

struct Route {
    std::string sender;  // "user@domain", "*@domain" or "*"
    std::string transport;
};

struct DkimKey {
    std::string domain;  // or "*"
    std::string selector;
    std::filesystem::path private_key;
    bool require_dns_match = true;
    std::string canonicalization = "relaxed/relaxed";  // header/body (RFC 6376 3.4)
};

// Who Herald signs for beyond its trusted networks: an authenticated user whose From: is a
// domain the user may not send as is refused (550 5.7.1), or relayed unsigned.
struct DkimSigning {
    enum class UnownedFrom { reject, relay_unsigned };
    UnownedFrom unowned_from = UnownedFrom::reject;
};

struct RateLimit {
    std::string match;  // sender | user | client_ip | sender_domain
    std::string limit;  // "100/hour"
    std::uint64_t count = 0;
    Seconds window{3600};
    std::vector<std::string> exempt_networks;  // CIDRs whose clients this rule does not count
    std::vector<std::string> exempt_users;     // authenticated users it does not count
    // When either is set, the rule counts only these clients: a separate limit for trusted
    // networks or users (with the general rule exempting them).
    std::vector<std::string> networks;
    std::vector<std::string> users;
};

struct Reject {
    std::vector<std::string> senders;
    std::vector<std::string> users;
};

struct Queue {
    std::vector<Seconds> retry = {Seconds{300},  Seconds{600},  Seconds{1800},
                                  Seconds{3600}, Seconds{7200}, Seconds{14400}};
    Seconds max_age{5 * 24 * 3600};
    // The sender is warned once a message is this late (RFC 3464 "delayed"); 0: never.
    Seconds delay_warning{4 * 3600};

    bool operator==(const Queue&) const = default;
};

struct Admin {
    std::string http;  // "host:port"; empty: off
    std::string token;

    bool operator==(const Admin&) const = default;
};

// The alignment preflight: what receivers will make of each relayed message (SPF, DKIM,
// DMARC), known before it leaves.
struct Preflight {
    enum class Mode { off, log, reject };
    Mode mode = Mode::log;
    std::string ip;  // the public address mail leaves from, for SPF; empty: unknown

    bool operator==(const Preflight&) const = default;
};

// Issue 18: where events go (docs/events.md).
struct EventSink {
    enum class Type { file, webhook };
    std::string name;  // default: the type's name
    Type type = Type::file;
    std::filesystem::path path;       // file: default <log_dir>/events
    std::string url;                  // webhook
    std::string secret;               // webhook: the HMAC-SHA256 key of the signature
    std::vector<std::string> types;   // only these event types; empty: every type
    std::size_t batch_size = 100;     // webhook: events per request at most
    Seconds batch_wait{1};            // webhook: how long a partial batch waits; 0: not at all
    Seconds timeout{30};              // webhook: per request
    std::size_t max_outbox = 100000;  // webhook: events waiting, beyond: the dead-letter file

    bool operator==(const EventSink&) const = default;
};

// Asynchronous bounces and feedback loops come back to a domain Herald handles itself.
struct Bounces {
    std::string domain;           // the VERP return-path domain; empty: no VERP, no reports
    std::string fbl_address;      // where ARF reports arrive (lower-case)
    std::filesystem::path rules;  // bounce rules replacing the built-in ones; empty: built-in

    bool operator==(const Bounces&) const = default;
};

// [tlsrpt]: SMTP TLS Reporting (RFC 8460) of the sessions to MX hosts.
struct TlsRpt {
    bool enabled = false;
    std::string from;               // the reports' sender; empty: noreply-tlsrpt@<hostname>
    std::string organization;       // "organization-name"; empty: [server] hostname
    std::string contact;            // "contact-info"; empty: `from`
    std::filesystem::path ca_file;  // trusted beside the system's store for https:// rua

    bool operator==(const TlsRpt&) const = default;
};

struct Suppression {
    std::filesystem::path database;  // default <spool_dir>/suppression.db
    // Bounce categories (and "complaint", "unsubscribe") that add the recipient to the list.
    std::vector<std::string> add_on = {"invalid-recipient", "bad-domain", "inactive-mailbox",
                                       "complaint", "unsubscribe"};
    // Relayed mail to a suppressed recipient: refused at RCPT, or accepted and dropped.
    enum class Relayed { reject, drop };
    Relayed relayed = Relayed::reject;

    bool operator==(const Suppression&) const = default;
};

// Issue 19: one-click unsubscribe links (RFC 8058), served by a [[listener]] of mode
// "unsubscribe" behind `url`.
struct Unsubscribe {
    std::string url;                    // public https base URL of the links; empty: off
    std::vector<std::string> senders;   // sender domains (lower-case) whose mail gets links; "*"
    Seconds lifetime{180 * 24 * 3600};  // how long a link works after the message was queued
    // An address at [bounces] domain whose mail unsubscribes (the token in its Subject): a
    // mailto link beside the https one. Empty: none.
    std::string mailto;

    bool operator==(const Unsubscribe&) const = default;
};

// Issue 19: the big providers' rules for bulk senders, checked before mail leaves (the
// compliance gate), and the deferral explainer (docs/compliance.md).
struct Compliance {
    enum class Mode { off, log, reject };
    Mode mode = Mode::log;
    // From this many messages a UTC day, all of a sender domain's mail counts as bulk (the
    // threshold of Gmail's and Microsoft's bulk-sender rules).
    std::size_t daily_volume = 5000;
    double max_complaint_rate = 0.003;     // over 7 days; Google and Yahoo say 0.3%
    std::vector<std::string> block_lists;  // DNSBL zones the explainer looks the sending IP up in
    bool explain = true;                   // the deferral explainer

    bool operator==(const Compliance&) const = default;
};

// Issue 21: nodes that share their rate limits, provider back-offs and suppressions through
// Redis (docs/cluster.md). Without `redis`, one node keeps all of it locally.
struct Cluster {
    std::optional<RedisUrl> redis;        // none: no cluster
    std::string node;                     // this node's name; empty in the file: [server] hostname
    std::filesystem::path password_file;  // the password, kept out of the config file
    // redis-sentinel://: the sentinels' own password (their requirepass), if they have one.
    std::filesystem::path sentinel_password_file;
    std::filesystem::path tls_ca;    // rediss://: the CA that signed Redis' certificate
    std::string prefix = "herald:";  // of every key, so that clusters can share a Redis
    // What a node does while Redis cannot answer: counts locally with each limit divided by
    // the nodes it last saw (open), or answers 451 to what a shared limit would count (closed).
    enum class OnFailure { open, closed };
    OnFailure on_failure = OnFailure::open;
    // How long one command may take before Redis counts as unreachable.
    std::chrono::milliseconds timeout{250};

    bool operator==(const Cluster&) const = default;
};

struct Config {
    std::filesystem::path source;  // the file it was read from
    Server server;
    Limits limits;
    Smtp smtp;
    Dns dns;
    std::vector<Listener> listeners;
    Tls tls;
    Relay relay;
    std::vector<User> users;
    Local local;
    std::vector<Transport> transports;
    std::vector<Provider> providers;  // the built-in ones, then [[provider]] tables
    Shaping shaping;
    std::vector<IpPool> ip_pools;
    std::vector<Route> routes;
    std::vector<DkimKey> dkim_keys;
    DkimSigning dkim_signing;
    std::vector<RateLimit> rate_limits;  // with one per [[api_key]] rate_limit
    std::vector<ApiKey> api_keys;
    Reject reject;
    Queue queue;
    Admin admin;
    Preflight preflight;
    std::vector<EventSink> event_sinks;
    Bounces bounces;
    TlsRpt tlsrpt;
    Suppression suppression;
    Unsubscribe unsubscribe;
    Compliance compliance;
    Cluster cluster;

    const Transport* find_transport(std::string_view name) const;
    const User* find_user(std::string_view name) const;
    const IpPool* find_ip_pool(std::string_view name) const;
    const Provider* find_provider(std::string_view name) const;
};

// Reads and validates a config file. On failure, every problem found, one per line, as
// "file:line: what is wrong".
struct LoadResult {
    std::optional<Config> config;
    std::vector<std::string> errors;
};
LoadResult load_file(const std::filesystem::path& path);
LoadResult load_string(std::string_view text, const std::filesystem::path& name);

}  // namespace herald::config
