#include "config/sections.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <array>
#include <regex>
#include <string_view>

#include "base/ascii_case.hpp"
#include "config/cidr.hpp"
#include "config/value_formats.hpp"
#include "events/bounce_category.hpp"
#include "events/event_type.hpp"

namespace herald::config {

namespace {

constexpr std::size_t kMaxMessageSizeLimit = std::size_t{1} << 30;  // data is held in memory
constexpr std::size_t kMinAdminTokenLength = 16;

constexpr std::array kListenerModes{Choice<ListenerMode>{"relay", ListenerMode::relay},
                                    Choice<ListenerMode>{"submission", ListenerMode::submission},
                                    Choice<ListenerMode>{"submissions", ListenerMode::submissions},
                                    Choice<ListenerMode>{"http", ListenerMode::http},
                                    Choice<ListenerMode>{"unsubscribe", ListenerMode::unsubscribe}};
constexpr std::array kBareLineEndings{
    Choice<Smtp::BareLineEndings>{"reject", Smtp::BareLineEndings::reject},
    Choice<Smtp::BareLineEndings>{"normalize", Smtp::BareLineEndings::normalize}};
constexpr std::array kMailboxes{Choice<Local::Mailbox>{"maildir", Local::Mailbox::maildir},
                                Choice<Local::Mailbox>{"mbox", Local::Mailbox::mbox}};
constexpr std::array kUnownedFrom{
    Choice<DkimSigning::UnownedFrom>{"reject", DkimSigning::UnownedFrom::reject},
    Choice<DkimSigning::UnownedFrom>{"relay_unsigned", DkimSigning::UnownedFrom::relay_unsigned}};
constexpr std::array kTransportTypes{Choice<Transport::Type>{"smtp", Transport::Type::smtp},
                                     Choice<Transport::Type>{"null", Transport::Type::null},
                                     Choice<Transport::Type>{"http", Transport::Type::http},
                                     Choice<Transport::Type>{"maildir", Transport::Type::maildir},
                                     Choice<Transport::Type>{"mbox", Transport::Type::mbox}};
constexpr std::array kTlsModes{
    Choice<Transport::TlsMode>{"none", Transport::TlsMode::none},
    Choice<Transport::TlsMode>{"opportunistic", Transport::TlsMode::opportunistic},
    Choice<Transport::TlsMode>{"required", Transport::TlsMode::required}};
constexpr std::array kHttpFormats{Choice<std::string_view>{"rfc822", "rfc822"},
                                  Choice<std::string_view>{"json", "json"}};
constexpr std::array kRateMatches{Choice<std::string_view>{"sender", "sender"},
                                  Choice<std::string_view>{"user", "user"},
                                  Choice<std::string_view>{"client_ip", "client_ip"},
                                  Choice<std::string_view>{"sender_domain", "sender_domain"}};

// The keys of [[transport]] that only some types take.
constexpr std::array<std::string_view, 12> kSmtpKeys{"host",
                                                     "port",
                                                     "tls",
                                                     "auth_user",
                                                     "auth_password_file",
                                                     "helo",
                                                     "source_address",
                                                     "source_pool",
                                                     "max_connections",
                                                     "max_messages_per_minute",
                                                     "mta_sts",
                                                     "dane"};
constexpr std::array<std::string_view, 2> kHttpKeys{"url", "format"};
constexpr std::array<std::string_view, 1> kMailboxKeys{"path"};
constexpr std::array<std::string_view, 1> kTlsClientKeys{"tls_ca_file"};  // smtp and http

bool printable_word(std::string_view text) {
    return !text.empty() && text.size() <= 255 &&
           std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Text for a report's fields: spaces allowed, no control characters.
bool printable_text(std::string_view text) {
    return text.size() <= 255 && std::all_of(text.begin(), text.end(),
                                             [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// "user@domain" or "*@domain"; with allow_any also "*".
bool is_address_pattern(std::string_view pattern, bool allow_any) {
    if (pattern == "*") return allow_any;
    auto at = pattern.rfind('@');
    if (at == std::string_view::npos || at == 0) return false;
    return printable_word(pattern.substr(0, at)) && is_domain_name(pattern.substr(at + 1));
}

// A list of domain names, lower-cased; "*" too when allow_any.
void read_domains(TableReader& t, std::string_view key, std::vector<std::string>& out,
                  bool allow_any) {
    std::vector<std::string> domains;
    if (!t.read(key, domains)) return;
    for (auto& domain : domains) {
        domain = ascii_lowercase(domain);
        if (!(allow_any && domain == "*") && !is_domain_name(domain)) {
            t.error(key, "holds '" + domain + "', which is not a domain name");
            return;
        }
    }
    out = std::move(domains);
}

bool is_loopback(std::string_view host) {
    if (host == "localhost") return true;
    auto ip = parse_ip(host);
    if (!ip) return false;
    return Cidr::parse("127.0.0.0/8")->contains(*ip) || Cidr::parse("::1")->contains(*ip);
}

// A "host:port" value, e.g. listener.address and admin.http.
std::optional<HostPort> read_host_port(TableReader& t, std::string_view key, std::string& out) {
    std::string text;
    if (!t.read(key, text)) return std::nullopt;
    auto parsed = parse_host_port(text);
    if (!parsed) {
        t.error(key, "'" + text + "': " + parsed.error());
        return std::nullopt;
    }
    out = text;
    return *parsed;
}

// Two keys that only make sense together, of which one is set.
void report_half_pair(TableReader& t, std::string_view first, std::string_view second,
                      bool first_missing) {
    auto present = first_missing ? second : first;
    auto missing = first_missing ? first : second;
    t.error(present, "is set without " + t.qualified(missing) + ": give both or neither");
}

template <std::size_t N>
void refuse_keys_of_other_types(TableReader& t, std::string_view type,
                                const std::array<std::string_view, N>& keys) {
    for (auto key : keys) {
        if (t.has(key)) t.error(key, "does not apply to a transport of type " + std::string(type));
    }
}

std::string_view type_name(Transport::Type type) {
    auto it = std::find_if(kTransportTypes.begin(), kTransportTypes.end(),
                           [&](const auto& choice) { return choice.value == type; });
    return it->name;
}

// Keys that belong to another type of transport are mistakes (a url on an smtp transport
// would be silently ignored otherwise).
void check_transport_keys(TableReader& t, const Transport& transport) {
    const bool smtp = transport.type == Transport::Type::smtp;
    const bool http = transport.type == Transport::Type::http;
    const bool mailbox =
        transport.type == Transport::Type::maildir || transport.type == Transport::Type::mbox;
    const std::string_view type = type_name(transport.type);
    if (!smtp) refuse_keys_of_other_types(t, type, kSmtpKeys);
    if (!http) refuse_keys_of_other_types(t, type, kHttpKeys);
    if (!mailbox) refuse_keys_of_other_types(t, type, kMailboxKeys);
    if (!smtp && !http) refuse_keys_of_other_types(t, type, kTlsClientKeys);
    if (http) t.require("url");
    if (mailbox) t.require("path");
    if (smtp && transport.auth_user.empty() != transport.auth_password_file.empty()) {
        report_half_pair(t, "auth_user", "auth_password_file", transport.auth_user.empty());
    }
    // A password must never cross the network in the clear, not even after a downgrade.
    if (smtp && !transport.auth_user.empty() && transport.tls != Transport::TlsMode::required) {
        t.error("auth_user",
                "needs tls = \"required\" so that the password is never sent "
                "in the clear");
    }
}

// Reports a name an earlier table of the same array already has; true when name is new.
bool claim(TableReader& t, std::string_view key, std::string name, UniqueNames& names,
           std::string_view what) {
    auto earlier = names.claim(name, t.line_of(key));
    if (earlier) {
        t.error(key, "'" + name + "' is already used by the " + std::string(what) + " at line " +
                         std::to_string(*earlier));
    }
    return !earlier;
}

}  // namespace

void read_server(TableReader& t, Server& out) {
    if (t.read("hostname", out.hostname) && !is_fqdn(out.hostname)) {
        t.error("hostname", "'" + out.hostname +
                                "' is not a fully qualified domain name (e.g. mail.example.com)");
    }
    t.read("spool_dir", out.spool_dir);
    t.read("log_dir", out.log_dir);
    t.read_size("log_rotate_size", out.log_rotate_size);
    t.read_count("log_keep", out.log_keep, 1);
    // Checked here so that check-config says it: serving as a user this system lacks fails.
    if (t.read("user", out.user) && ::getpwnam(out.user.c_str()) == nullptr) {
        t.error("user", "'" + out.user + "' is not a user on this system");
    }
    if (t.read("group", out.group)) {
        if (out.user.empty()) t.error("group", "needs [server] user");
        if (::getgrnam(out.group.c_str()) == nullptr) {
            t.error("group", "'" + out.group + "' is not a group on this system");
        }
    }
}

void read_limits(TableReader& t, Limits& out) {
    if (t.read_size("max_message_size", out.max_message_size) &&
        out.max_message_size > kMaxMessageSizeLimit) {
        t.error("max_message_size", "must be at most 1G");
    }
    t.read_count("max_recipients", out.max_recipients, 1);
    t.read_count("max_connections", out.max_connections, 1);
    t.read_count("max_connections_per_ip", out.max_connections_per_ip, 1);
    t.read_count("max_errors", out.max_errors, 1);
    t.read_count("max_received_headers", out.max_received_headers, 1);
    t.read_duration("command_timeout", out.command_timeout);
    t.read_duration("data_timeout", out.data_timeout);
    t.read_duration("auth_failure_delay", out.auth_failure_delay, Seconds{0});
    // Issue 14: what an attacker can pin (disk) and guess (passwords).
    t.read_size("spool_reserve", out.spool_reserve);
    t.read_count("auth_failures_before_lockout", out.auth_failures_before_lockout);
    t.read_duration("auth_lockout", out.auth_lockout);
}

void read_smtp(TableReader& t, Smtp& out) {
    t.read_choice("bare_line_endings", out.bare_line_endings, kBareLineEndings);
    t.read("allow_plaintext_auth_on_loopback", out.allow_plaintext_auth_on_loopback);
}

void read_dns(TableReader& t, Dns& out) {
    t.read("trust_anchor", out.trust_anchor);
    t.read_count("max_pending_checks", out.max_pending_checks, 1);
    std::vector<std::string> servers;
    if (!t.read("servers", servers)) return;
    for (auto& server : servers) {
        // A bare address means port 53; a resolver named by host name would need a resolver.
        auto parsed = is_ip_address(server) ? Result<HostPort>(HostPort{server, 53})
                                            : parse_host_port(server);
        if (!parsed || !is_ip_address(parsed->host)) {
            t.error("servers", "holds '" + server + "', which is not an IP address or ip:port");
            return;
        }
        server = format_host_port(*parsed);
    }
    out.servers = std::move(servers);
}

void read_listener(TableReader& t, std::vector<Listener>& out, UniqueNames& addresses) {
    Listener listener;
    t.require("address");
    t.read_choice("mode", listener.mode, kListenerModes);
    auto parsed = read_host_port(t, "address", listener.address);
    if (!parsed) return;
    listener.host = parsed->host;
    listener.port = parsed->port;
    const bool serves_http =
        listener.mode == ListenerMode::http || listener.mode == ListenerMode::unsubscribe;
    if (t.read("tls", listener.tls) && !serves_http) {
        t.error("tls",
                "is for mode = \"http\" or \"unsubscribe\"; SMTP listeners offer STARTTLS, "
                "or use mode = \"submissions\"");
    }
    // API keys travel in every request: in the clear only where no one else can listen.
    if (listener.mode == ListenerMode::http && !listener.tls && !is_loopback(listener.host)) {
        t.error("tls",
                "must be true for an http listener beyond loopback (API keys would "
                "cross the network in the clear)");
    }
    if (t.read_size("max_message_size", listener.max_message_size)) {
        if (serves_http) {
            t.error("max_message_size",
                    "is for SMTP listeners (the API's limit is [limits] max_message_size)");
        } else if (listener.max_message_size == 0 ||
                   listener.max_message_size > kMaxMessageSizeLimit) {
            t.error("max_message_size", "must be between 1 and 1G");
        }
    }
    if (!claim(t, "address", format_host_port(*parsed), addresses, "listener")) return;
    out.push_back(std::move(listener));
}

void read_tls(TableReader& t, Tls& out) {
    t.read("cert", out.cert);
    t.read("key", out.key);
    if (out.cert.empty() != out.key.empty()) report_half_pair(t, "cert", "key", out.cert.empty());
    t.read_duration("check_interval", out.check_interval);
}

void read_relay(TableReader& t, Relay& out) {
    std::vector<std::string> networks;
    if (t.read("networks", networks)) {
        auto bad = std::find_if(networks.begin(), networks.end(),
                                [](const std::string& n) { return !Cidr::parse(n); });
        if (bad != networks.end()) {
            t.error("networks", "holds '" + *bad +
                                    "', which is not a network in CIDR notation "
                                    "(e.g. 10.0.0.0/8, 2001:db8::/32)");
        } else {
            out.networks = std::move(networks);
        }
    }
    t.read("block_auth_relay_on_relay_listeners", out.block_auth_relay_on_relay_listeners);
    t.read("mask_client_ip", out.mask_client_ip);
    t.read("allow_unknown_sender_domains", out.allow_unknown_sender_domains);
}

void read_user(TableReader& t, std::vector<User>& out, UniqueNames& names) {
    User user;
    t.require("name");
    t.require("password_hash");
    if (t.read("name", user.name) && !printable_word(user.name)) {
        t.error("name", "must be a word of printable characters without spaces");
        user.name.clear();
    } else if (user.name.starts_with("api:")) {
        // The policies know an API key as user "api:<name>": no account may pose as one.
        t.error("name", "may not start with \"api:\", which names [[api_key]] clients");
        user.name.clear();
    }
    if (t.read("password_hash", user.password_hash) && !looks_like_crypt_hash(user.password_hash)) {
        t.error("password_hash",
                "is not a crypt(3) hash of a supported kind ($y$, $7$, $2b$, $6$, $5$); "
                "make one with: mkpasswd -m yescrypt");
    }
    read_domains(t, "sender_domains", user.sender_domains, true);
    if (user.name.empty() || !claim(t, "name", user.name, names, "user")) return;
    out.push_back(std::move(user));
}

void read_local(TableReader& t, Local& out) {
    read_domains(t, "domains", out.domains, false);
    t.read_choice("mailbox", out.mailbox, kMailboxes);
    if (t.read("path", out.path) && out.path.find("{user}") == std::string::npos) {
        t.error("path", "must contain {user}, e.g. \"var/mail/{user}\"");
    }
    t.read("recipients", out.recipients);
    t.read("recipients_file", out.recipients_file);
    t.read("aliases_file", out.aliases_file);
    if (t.read("postmaster", out.postmaster) &&
        (out.postmaster.find('@') == std::string::npos || out.postmaster.front() == '@')) {
        t.error("postmaster", "must be an address, e.g. \"hostmaster@example.com\"");
    }
}

void read_dkim_signing(TableReader& t, DkimSigning& out) {
    t.read_choice("unowned_from", out.unowned_from, kUnownedFrom);
}

void read_transport(TableReader& t, std::vector<Transport>& out, UniqueNames& names,
                    const UniqueNames& pools) {
    Transport transport;
    t.require("name");
    t.require("type");
    const bool type_ok = t.read_choice("type", transport.type, kTransportTypes);
    if (t.read("host", transport.host) && !is_domain_name(transport.host) &&
        !is_ip_address(transport.host)) {
        t.error("host", "'" + transport.host + "' is neither a host name nor an IP address");
    }
    t.read_port("port", transport.port);
    t.read_choice("tls", transport.tls, kTlsModes);
    t.read("auth_user", transport.auth_user);
    t.read("auth_password_file", transport.auth_password_file);
    t.read("tls_ca_file", transport.tls_ca_file);
    if (t.read("mta_sts", transport.mta_sts) && transport.mta_sts && !transport.host.empty()) {
        t.error("mta_sts", "applies to delivery to MX hosts: a transport with host has none");
    }
    if (t.read("dane", transport.dane) && transport.dane && !transport.host.empty()) {
        t.error("dane", "applies to delivery to MX hosts: a transport with host has none");
    }
    if (t.read("helo", transport.helo) && !is_fqdn(transport.helo)) {
        t.error("helo", "'" + transport.helo + "' is not a fully qualified domain name");
    }
    if (t.read("source_address", transport.source_address) &&
        !is_ip_address(transport.source_address)) {
        t.error("source_address", "'" + transport.source_address + "' is not an IP address");
    }
    if (t.read("source_pool", transport.source_pool)) {
        if (!transport.source_address.empty()) {
            t.error("source_pool",
                    "and source_address exclude each other: the pool's addresses "
                    "are the sources");
        } else if (!pools.contains(transport.source_pool)) {
            t.error("source_pool", "'" + transport.source_pool + "' is not an [[ip_pool]]");
        }
    }
    t.read_count("max_connections", transport.max_connections, 1);
    t.read_count("max_messages_per_minute", transport.max_messages_per_minute, 1);
    if (t.read("url", transport.url) && !transport.url.starts_with("http://") &&
        !transport.url.starts_with("https://")) {
        t.error("url", "must start with http:// or https://");
    }
    std::string_view format = transport.format;
    if (t.read_choice("format", format, kHttpFormats)) transport.format = format;
    if (t.read("path", transport.path) && transport.path.find("{user}") == std::string::npos) {
        t.error("path", "must contain {user}, e.g. \"var/mail/{user}\"");
    }
    if (type_ok) check_transport_keys(t, transport);

    if (!t.read("name", transport.name)) return;
    if (!printable_word(transport.name) || transport.name == "local") {
        t.error("name",
                "must be a word without spaces other than 'local' (which is reserved "
                "for [local] delivery)");
    }
    // Claimed and kept even when invalid, so that routes naming it report no second error.
    claim(t, "name", transport.name, names, "transport");
    out.push_back(std::move(transport));
}

namespace {

// "*.google.com" (any host below google.com) or one host name.
bool is_host_pattern(std::string_view pattern) {
    if (pattern.starts_with("*.")) pattern.remove_prefix(2);
    return is_domain_name(pattern);
}

}  // namespace

void read_provider(TableReader& t, std::vector<Provider>& out, UniqueNames& names) {
    t.require("name");
    std::string name;
    if (!t.read("name", name)) return;
    if (!printable_word(name)) t.error("name", "must be a word without spaces");
    if (!claim(t, "name", name, names, "provider")) return;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Provider& p) { return p.name == name; });
    const bool overrides = it != out.end();
    if (!overrides) t.require("mx");
    Provider provider = overrides ? *it : Provider{.name = name};
    if (t.read("mx", provider.mx)) {
        if (provider.mx.empty()) t.error("mx", "must name at least one host pattern");
        for (auto& pattern : provider.mx) {
            pattern = ascii_lowercase(pattern);
            if (!is_host_pattern(pattern)) {
                t.error("mx", "holds '" + pattern +
                                  "', which is not a host name or *.domain (e.g. *.google.com)");
            }
        }
    }
    t.read_count("max_connections", provider.max_connections, 1);
    t.read_count("max_messages_per_connection", provider.max_messages_per_connection, 1);
    t.read_count("max_messages_per_minute", provider.max_messages_per_minute, 1);
    t.read_count("max_messages_per_hour", provider.max_messages_per_hour, 1);
    t.read_count("max_messages_per_day", provider.max_messages_per_day, 1);
    t.read_count("max_recipients_per_message", provider.max_recipients_per_message, 1);
    if (overrides) {
        *it = std::move(provider);
    } else if (!provider.mx.empty()) {
        out.push_back(std::move(provider));
    }
}

namespace {

constexpr std::array kShapingActions{
    Choice<ShapingRule::Action>{"reduce_rate", ShapingRule::Action::reduce_rate},
    Choice<ShapingRule::Action>{"cap_connections", ShapingRule::Action::cap_connections},
    Choice<ShapingRule::Action>{"suspend", ShapingRule::Action::suspend},
    Choice<ShapingRule::Action>{"bounce", ShapingRule::Action::bounce}};

bool is_enhanced_code(std::string_view code) {
    static const std::regex pattern(R"([245]\.[0-9]{1,3}\.[0-9]{1,3})");
    return std::regex_match(code.begin(), code.end(), pattern);
}

void read_rule_match(TableReader& t, ShapingRule& rule) {
    std::size_t code = 0;
    if (t.read_count("code", code, 200)) {
        if (code > 599) t.error("code", "must be a reply code from 200 to 599");
        rule.code = static_cast<int>(code);
    }
    if (t.read("enhanced_code", rule.enhanced_code) && !is_enhanced_code(rule.enhanced_code)) {
        t.error("enhanced_code", "'" + rule.enhanced_code +
                                     "' is not an enhanced status code (RFC 3463, e.g. 4.7.28)");
    }
    if (t.read("match", rule.match)) {
        try {
            std::regex compiled(rule.match, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error& e) {
            t.error("match", "is not a regular expression: " + std::string(e.what()));
        }
    }
}

void read_rule_action(TableReader& t, ShapingRule& rule) {
    t.require("action");
    t.read_choice("action", rule.action, kShapingActions);
    t.read_number("factor", rule.factor, 0, 1);
    t.read_count("connections", rule.connections, 1);
    t.read_duration("duration", rule.duration);
    const auto only_for = [&t](std::string_view key, std::string_view action) {
        if (t.has(key)) t.error(key, "is for action = \"" + std::string(action) + "\"");
    };
    if (rule.action != ShapingRule::Action::reduce_rate) only_for("factor", "reduce_rate");
    if (rule.action != ShapingRule::Action::cap_connections)
        only_for("connections", "cap_connections");
    if (rule.action != ShapingRule::Action::suspend) only_for("duration", "suspend");
}

}  // namespace

void read_shaping_rule(TableReader& t, const std::vector<Provider>& providers,
                       std::vector<ShapingRule>& out, UniqueNames& names) {
    ShapingRule rule;
    t.require("name");
    if (t.read("name", rule.name) && !printable_word(rule.name)) {
        t.error("name", "must be a word without spaces");
    }
    if (t.read("provider", rule.provider) &&
        std::none_of(providers.begin(), providers.end(),
                     [&](const Provider& p) { return p.name == rule.provider; })) {
        t.error("provider", "'" + rule.provider + "' is not a provider (built-in or [[provider]])");
    }
    read_rule_match(t, rule);
    read_rule_action(t, rule);
    if (rule.name.empty() || !claim(t, "name", rule.name, names, "shaping_rule")) return;
    // A rule of the built-in name replaces it.
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const ShapingRule& r) { return r.name == rule.name; });
    if (same != out.end()) {
        *same = std::move(rule);
    } else {
        out.push_back(std::move(rule));
    }
}

void read_ip_pool(TableReader& t, std::vector<IpPool>& out, UniqueNames& names,
                  UniqueNames& addresses) {
    IpPool pool;
    t.require("name");
    if (t.read("name", pool.name) && !printable_word(pool.name)) {
        t.error("name", "must be a word without spaces");
    }
    t.read("overflow", pool.overflow);
    for (const toml::table* table : t.tables("address")) {
        TableReader a(*table, "ip_pool.address", t.diagnostics());
        PoolAddress address;
        a.require("address");
        if (a.read("address", address.address)) {
            if (!is_ip_address(address.address)) {
                a.error("address", "'" + address.address + "' is not an IP address");
            } else {
                claim(a, "address", address.address, addresses, "ip_pool.address");
            }
        }
        a.read_count("weight", address.weight, 1);
        a.read_count("warmup_start", address.warmup_start, 1);
        a.read_number("warmup_factor", address.warmup_factor, 1, 10);
        if (a.has("warmup_factor") && address.warmup_start == 0) {
            a.error("warmup_factor", "needs warmup_start");
        }
        a.report_unknown_keys();
        pool.addresses.push_back(std::move(address));
    }
    if (pool.addresses.empty()) t.error("address", "is required: at least one [[ip_pool.address]]");
    if (pool.name.empty() || !claim(t, "name", pool.name, names, "ip_pool")) return;
    out.push_back(std::move(pool));
}

void read_shaping(TableReader& t, Shaping& out) {
    t.read_duration("quiet_period", out.quiet_period);
    t.read_number("recovery_step", out.recovery_step, 0, 1);
}

void read_route(TableReader& t, const UniqueNames& transports, std::vector<Route>& out) {
    Route route;
    t.require("sender");
    t.require("transport");
    if (t.read("sender", route.sender) && !is_address_pattern(route.sender, true)) {
        t.error("sender", "'" + route.sender + "' is not an address, *@domain or *");
    }
    if (t.read("transport", route.transport)) {
        bool known = transports.contains(route.transport);
        if (!known) {
            t.error("transport", "'" + route.transport + "' is not the name of a [[transport]]");
        }
    }
    out.push_back(std::move(route));
}

namespace {

// RFC 6376 3.5 c=: "header/body", or one word for the header alone (the body then simple).
bool valid_canonicalization(std::string_view c) {
    const auto is_word = [](std::string_view w) { return w == "simple" || w == "relaxed"; };
    const auto slash = c.find('/');
    if (slash == std::string_view::npos) return is_word(c);
    return is_word(c.substr(0, slash)) && is_word(c.substr(slash + 1));
}

}  // namespace

void read_dkim_key(TableReader& t, std::vector<DkimKey>& out, UniqueNames& selectors) {
    DkimKey key;
    t.require("domain");
    t.require("selector");
    t.require("private_key");
    if (t.read("domain", key.domain)) {
        key.domain = ascii_lowercase(key.domain);
        if (key.domain != "*" && !is_domain_name(key.domain)) {
            t.error("domain", "'" + key.domain + "' is not a domain name or *");
        }
    }
    if (t.read("selector", key.selector) && !is_domain_name(key.selector)) {
        t.error("selector", "'" + key.selector + "' is not a valid selector (RFC 6376 3.1)");
    }
    t.read("private_key", key.private_key);
    t.read("require_dns_match", key.require_dns_match);
    if (t.read("canonicalization", key.canonicalization) &&
        !valid_canonicalization(key.canonicalization)) {
        t.error("canonicalization", "'" + key.canonicalization +
                                        "' is not simple, relaxed or header/body such as "
                                        "relaxed/simple");
    }
    if (!key.domain.empty() &&
        !claim(t, "selector", key.selector + "._domainkey." + key.domain, selectors, "dkim.key")) {
        return;
    }
    out.push_back(std::move(key));
}

void read_networks(TableReader& t, std::string_view key, std::vector<std::string>& out) {
    if (!t.read(key, out)) return;
    for (const auto& network : out) {
        if (!config::Cidr::parse(network)) {
            t.error(key, "holds '" + network + "', which is not an address or network");
            return;
        }
    }
}

namespace {

bool read_rate(TableReader& t, std::string_view key, RateLimit& limit) {
    if (!t.read(key, limit.limit)) return false;
    if (auto rate = parse_rate(limit.limit)) {
        limit.count = rate->count;
        limit.window = rate->window;
        return true;
    }
    t.error(key, "'" + limit.limit +
                     "' is not a rate such as 100/hour (per second, minute, hour or day)");
    return false;
}

bool is_lower_hex_sha256(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace

void read_rate_limit(TableReader& t, std::vector<RateLimit>& out) {
    RateLimit limit;
    t.require("match");
    t.require("limit");
    std::string_view match;
    if (t.read_choice("match", match, kRateMatches)) limit.match = match;
    read_rate(t, "limit", limit);
    read_networks(t, "exempt_networks", limit.exempt_networks);
    t.read("exempt_users", limit.exempt_users);
    read_networks(t, "networks", limit.networks);
    t.read("users", limit.users);
    out.push_back(std::move(limit));
}

void read_api_key(TableReader& t, std::vector<ApiKey>& out, std::vector<RateLimit>& limits,
                  UniqueNames& names) {
    ApiKey key;
    t.require("name");
    t.require("key_sha256");
    if (t.read("name", key.name) && !printable_word(key.name)) {
        t.error("name", "must be a word of printable characters without spaces");
        key.name.clear();
    }
    if (t.read("key_sha256", key.key_sha256) && !is_lower_hex_sha256(key.key_sha256)) {
        t.error("key_sha256",
                "must be the lower-case hex SHA-256 of the token (64 characters); make one "
                "with: printf %s \"$TOKEN\" | sha256sum");
    }
    read_domains(t, "sender_domains", key.sender_domains, true);
    RateLimit limit{.match = "user"};
    if (read_rate(t, "rate_limit", limit) && !key.name.empty()) {
        limit.users = {key.user()};
        limits.push_back(std::move(limit));
    }
    if (key.name.empty() || !claim(t, "name", key.name, names, "api_key")) return;
    out.push_back(std::move(key));
}

void read_reject(TableReader& t, Reject& out) {
    std::vector<std::string> senders;
    if (t.read("senders", senders)) {
        auto bad = std::find_if(senders.begin(), senders.end(),
                                [](const std::string& s) { return !is_address_pattern(s, false); });
        if (bad != senders.end()) {
            t.error("senders", "holds '" + *bad + "', which is not an address or *@domain");
        } else {
            out.senders = std::move(senders);
        }
    }
    t.read("users", out.users);
}

void read_queue(TableReader& t, Queue& out) {
    t.read_durations("retry", out.retry);
    t.read_duration("max_age", out.max_age);
    // A warning due at or after expiry would never be sent: an error when it is written so;
    // the default simply never fires under a max_age that short.
    if (t.read_duration("delay_warning", out.delay_warning, Seconds{0}) &&
        out.delay_warning.count() > 0 && out.delay_warning >= out.max_age) {
        t.error("delay_warning",
                "must be shorter than queue.max_age, or 0 for no delay warnings: the message "
                "would expire before its warning is due");
    }
}

void read_admin(TableReader& t, Admin& out) {
    t.read("token", out.token);
    if (!out.token.empty() && out.token.size() < kMinAdminTokenLength) {
        t.error("token", "must be at least 16 characters long");
    }
    auto parsed = read_host_port(t, "http", out.http);
    // The admin API can flush, delete and bounce mail: never open it to the network unguarded.
    if (parsed && !is_loopback(parsed->host) && out.token.empty()) {
        t.error("http", "listens beyond loopback, so admin.token must be set");
    }
}

void read_preflight(TableReader& t, Preflight& out) {
    constexpr std::array kModes{Choice<Preflight::Mode>{"off", Preflight::Mode::off},
                                Choice<Preflight::Mode>{"log", Preflight::Mode::log},
                                Choice<Preflight::Mode>{"reject", Preflight::Mode::reject}};
    t.read_choice("mode", out.mode, kModes);
    if (t.read("ip", out.ip) && !is_ip_address(out.ip)) {
        t.error("ip", "'" + out.ip + "' is not an IP address");
    }
}

namespace {

constexpr std::array kSinkTypes{Choice<EventSink::Type>{"file", EventSink::Type::file},
                                Choice<EventSink::Type>{"webhook", EventSink::Type::webhook}};

void check_sink_keys(TableReader& t, const EventSink& sink) {
    if (sink.type == EventSink::Type::webhook) {
        t.require("url");
        t.require("secret");
        if (t.has("path")) t.error("path", "is for type = \"file\"");
        return;
    }
    for (const auto* key : {"url", "secret", "batch_size", "batch_wait", "timeout", "max_outbox"}) {
        if (t.has(key)) t.error(key, "is for type = \"webhook\"");
    }
}

}  // namespace

void read_event_sink(TableReader& t, std::vector<EventSink>& out, UniqueNames& names) {
    EventSink sink;
    t.require("type");
    const bool type_ok = t.read_choice("type", sink.type, kSinkTypes);
    t.read("path", sink.path);
    if (t.read("url", sink.url) && !sink.url.starts_with("http://") &&
        !sink.url.starts_with("https://")) {
        t.error("url", "must start with http:// or https://");
    }
    if (t.read("secret", sink.secret) && sink.secret.size() < 16) {
        t.error("secret", "must be at least 16 characters long");
    }
    if (t.read("types", sink.types)) {
        for (const auto& type : sink.types) {
            if (!events::parse_event_type(type)) {
                t.error("types", "'" + type + "' is not an event type (docs/events.md)");
            }
        }
    }
    t.read_count("batch_size", sink.batch_size, 1);
    t.read_duration("batch_wait", sink.batch_wait, Seconds{0});
    t.read_duration("timeout", sink.timeout);
    t.read_count("max_outbox", sink.max_outbox, 1);
    if (type_ok) check_sink_keys(t, sink);
    sink.name = sink.type == EventSink::Type::file ? "file" : "webhook";
    // The name is the outbox's directory: a word, so never a path.
    if (t.read("name", sink.name) && !printable_word(sink.name)) {
        t.error("name", "must be a word without spaces");
    } else if (sink.name.find('/') != std::string::npos || sink.name.starts_with('.')) {
        t.error("name", "must not contain '/' or start with '.'");
    }
    claim(t, t.has("name") ? "name" : "type", sink.name, names, "event_sink");
    out.push_back(std::move(sink));
}

void read_bounces(TableReader& t, Bounces& out) {
    if (t.read("domain", out.domain)) {
        out.domain = ascii_lowercase(out.domain);
        if (!is_fqdn(out.domain)) t.error("domain", "'" + out.domain + "' is not a domain name");
    }
    if (t.read("fbl_address", out.fbl_address)) {
        out.fbl_address = ascii_lowercase(out.fbl_address);
        if (!is_address_pattern(out.fbl_address, false) || out.fbl_address.starts_with("*")) {
            t.error("fbl_address", "'" + out.fbl_address + "' is not an address");
        } else if (out.domain.empty() || !out.fbl_address.ends_with("@" + out.domain)) {
            t.error("fbl_address", "must be an address at [bounces] domain");
        } else if (out.fbl_address.starts_with("b+")) {
            t.error("fbl_address", "must not start with 'b+' (the VERP addresses do)");
        }
    }
    t.read("rules", out.rules);
}

void read_tlsrpt(TableReader& t, TlsRpt& out) {
    t.read("enabled", out.enabled);
    if (t.read("from", out.from)) {
        out.from = ascii_lowercase(out.from);
        if (!is_address_pattern(out.from, false) || out.from.starts_with("*")) {
            t.error("from", "'" + out.from + "' is not an address");
        }
    }
    for (auto [key, value] :
         {std::pair{"organization", &out.organization}, std::pair{"contact", &out.contact}}) {
        if (t.read(key, *value) && !printable_text(*value)) {
            t.error(key, "must be printable ASCII");
        }
    }
    t.read("ca_file", out.ca_file);
}

void read_unsubscribe(TableReader& t, Unsubscribe& out) {
    // RFC 8058 3.1: the one-click URI is https; providers ignore others.
    if (t.read("url", out.url)) {
        while (out.url.ends_with('/')) out.url.pop_back();
        if (!out.url.starts_with("https://") || out.url.size() <= 8 ||
            out.url.find_first_of(" \t\"<>") != std::string::npos) {
            t.error("url", "must be an https:// URL (RFC 8058 3.1)");
        }
    }
    read_domains(t, "senders", out.senders, true);
    t.read_duration("lifetime", out.lifetime, Seconds{24 * 3600});
    if (t.read("mailto", out.mailto)) {
        out.mailto = ascii_lowercase(out.mailto);
        if (!is_address_pattern(out.mailto, false) || out.mailto.starts_with("*")) {
            t.error("mailto", "'" + out.mailto + "' is not an address");
        } else if (out.url.empty()) {
            t.error("mailto", "comes beside url, which is missing");
        }
    }
    if (!out.url.empty() && out.senders.empty()) {
        t.error("senders", "is required: the sender domains whose mail gets the links");
    }
}

void read_compliance(TableReader& t, Compliance& out) {
    constexpr std::array kModes{Choice<Compliance::Mode>{"off", Compliance::Mode::off},
                                Choice<Compliance::Mode>{"log", Compliance::Mode::log},
                                Choice<Compliance::Mode>{"reject", Compliance::Mode::reject}};
    t.read_choice("mode", out.mode, kModes);
    t.read_count("daily_volume", out.daily_volume, 1);
    t.read_number("max_complaint_rate", out.max_complaint_rate, 0, 1);
    read_domains(t, "block_lists", out.block_lists, false);
    t.read("explain", out.explain);
}

void read_suppression(TableReader& t, Suppression& out) {
    t.read("database", out.database);
    if (t.read("add_on", out.add_on)) {
        for (const auto& name : out.add_on) {
            if (name != "complaint" && name != "unsubscribe" && !events::parse_category(name)) {
                t.error("add_on", "'" + name +
                                      "' is neither a bounce category nor 'complaint' or "
                                      "'unsubscribe' (docs/events.md)");
            }
        }
    }
    constexpr std::array kRelayed{
        Choice<Suppression::Relayed>{"reject", Suppression::Relayed::reject},
        Choice<Suppression::Relayed>{"drop", Suppression::Relayed::drop}};
    t.read_choice("relayed", out.relayed, kRelayed);
}

}  // namespace herald::config

namespace herald::config {

void read_cluster(TableReader& t, Cluster& out) {
    std::string url;
    if (t.read("redis", url)) {
        auto parsed = parse_redis_url(url);
        if (parsed) {
            out.redis = std::move(*parsed);
        } else {
            t.error("redis",
                    parsed.error() +
                        " (redis://[user:password@]host:port[/db], or "
                        "redis-sentinel://[user:password@]host:port[,host:port]/db#master)");
        }
    }
    if (t.read("node", out.node) &&
        (out.node.empty() || out.node.size() > 64 ||
         out.node.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-_") != std::string::npos)) {
        t.error("node", "must be 1-64 letters, digits, '.', '-' or '_'");
    }
    t.read("password_file", out.password_file);
    if (t.read("sentinel_password_file", out.sentinel_password_file) && out.redis &&
        !out.redis->uses_sentinels()) {
        t.error("sentinel_password_file", "needs sentinels: redis = \"redis-sentinel://...\"");
    }
    t.read("tls_ca", out.tls_ca);
    if (t.read("prefix", out.prefix) && out.prefix.find_first_of(" \t\r\n") != std::string::npos) {
        t.error("prefix", "must not hold blanks");
    }
    constexpr std::array kFailures{
        Choice<Cluster::OnFailure>{"open", Cluster::OnFailure::open},
        Choice<Cluster::OnFailure>{"closed", Cluster::OnFailure::closed}};
    t.read_choice("on_failure", out.on_failure, kFailures);
    std::size_t timeout_ms = 0;
    if (t.read_count("timeout_ms", timeout_ms, 10)) {
        out.timeout = std::chrono::milliseconds(std::min<std::size_t>(timeout_ms, 60000));
    }
    if (!t.has("redis")) t.error("redis", "is missing: [cluster] needs a Redis to share");
    if (out.redis && !out.redis->password.empty() && !out.password_file.empty()) {
        t.error("password_file", "and a password in redis: give one of them");
    }
}

}  // namespace herald::config
