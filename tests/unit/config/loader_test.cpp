#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace herald::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kHash =
    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7";

std::string joined_errors(std::string_view text) {
    auto loaded = load_string(text, "t.toml");
    std::string all;
    for (const auto& e : loaded.errors) all += e + "\n";
    if (loaded.config && !loaded.errors.empty()) all += "BUG: config despite errors\n";
    return all;
}

// The SPEC.md example, completed with a catch-all route and a real-looking hash.
std::string full_config() {
    return std::string(R"toml(
[server]
hostname = "mail.example.com"
spool_dir = "var/spool"
log_dir = "var/log"

[limits]
max_message_size = "10M"
max_recipients = 50
command_timeout = "2m"
auth_failure_delay = 0

[smtp]
bare_line_endings = "normalize"
allow_plaintext_auth_on_loopback = true

[dns]
servers = ["127.0.0.1:53", "::1", "10.0.0.1"]
trust_anchor = "/usr/share/dns/root.key"

[[listener]]
address = "127.0.0.1:2525"
mode = "relay"

[[listener]]
address = "[::1]:2587"
mode = "submission"

[tls]
cert = "path.pem"
key = "path.key"

[relay]
networks = ["127.0.0.0/8", "2001:db8::/32"]
block_auth_relay_on_relay_listeners = false
mask_client_ip = false
allow_unknown_sender_domains = true

[[user]]
name = "alice"
password_hash = ")toml") +
           kHash + R"toml("
sender_domains = ["Example.COM"]

[local]
domains = ["Local.Example.com"]
mailbox = "mbox"
path = "var/mail/{user}"

[[transport]]
name = "mx"
type = "smtp"

[[transport]]
name = "relay"
type = "smtp"
host = "smtp.example.net"
port = 587
tls = "required"
auth_user = "u"
auth_password_file = "secrets/relay.pass"
tls_ca_file = "secrets/relay-ca.pem"
helo = "out.example.com"
source_address = "192.0.2.1"
max_connections = 5
max_messages_per_minute = 600

[[transport]]
name = "discard"
type = "null"

[[transport]]
name = "api"
type = "http"
url = "http://127.0.0.1:8080/mail"
format = "json"

[[transport]]
name = "box"
type = "maildir"
path = "var/boxes/{user}"

[[route]]
sender = "*@brand.example"
transport = "relay"

[[route]]
sender = "*"
transport = "mx"

[[dkim.key]]
domain = "example.com"
selector = "s1"
private_key = "keys/example.com.s1.key"
require_dns_match = false
canonicalization = "relaxed/simple"

[[dkim.key]]
domain = "*"
selector = "default"
private_key = "keys/default.key"

[[rate_limit]]
match = "sender"
limit = "100/hour"

[[rate_limit]]
match = "client_ip"
limit = "5/second"

[reject]
senders = ["bad@example.com", "*@spam.example"]
users = ["mallory"]

[queue]
retry = ["5m", "10m", 60]
max_age = "2d"

[admin]
http = "127.0.0.1:8025"
)toml";
}

TEST(LoadString, ReadsEveryKeyOfTheSpecExample) {
    auto loaded = load_string(full_config(), "full.toml");
    ASSERT_TRUE(loaded.config) << ::testing::PrintToString(loaded.errors);
    const Config& c = *loaded.config;
    EXPECT_EQ(c.source, "full.toml");
    EXPECT_EQ(c.server.hostname, "mail.example.com");
    EXPECT_EQ(c.limits.max_message_size, 10U * 1024 * 1024);
    EXPECT_EQ(c.limits.max_recipients, 50U);
    EXPECT_EQ(c.limits.command_timeout, Seconds{120});
    EXPECT_EQ(c.limits.data_timeout, Seconds{600});
    EXPECT_EQ(c.limits.auth_failure_delay, Seconds{0});
    EXPECT_EQ(c.smtp.bare_line_endings, Smtp::BareLineEndings::normalize);
    EXPECT_TRUE(c.smtp.allow_plaintext_auth_on_loopback);
    EXPECT_THAT(c.dns.servers, ElementsAre("127.0.0.1:53", "[::1]:53", "10.0.0.1:53"));
    EXPECT_EQ(c.dns.trust_anchor, "/usr/share/dns/root.key");
    ASSERT_EQ(c.listeners.size(), 2U);
    EXPECT_EQ(c.listeners[1].host, "::1");
    EXPECT_EQ(c.listeners[1].port, 2587);
    EXPECT_EQ(c.listeners[1].mode, ListenerMode::submission);
    EXPECT_EQ(c.tls.cert, "path.pem");
    EXPECT_THAT(c.relay.networks, ElementsAre("127.0.0.0/8", "2001:db8::/32"));
    EXPECT_FALSE(c.relay.block_auth_relay_on_relay_listeners);
    EXPECT_FALSE(c.relay.mask_client_ip);
    EXPECT_TRUE(c.relay.allow_unknown_sender_domains);
    ASSERT_NE(c.find_user("alice"), nullptr);
    EXPECT_EQ(c.find_user("alice")->password_hash, kHash);
    EXPECT_THAT(c.find_user("alice")->sender_domains, ElementsAre("example.com"));
    EXPECT_EQ(c.find_user("bob"), nullptr);
    EXPECT_THAT(c.local.domains, ElementsAre("local.example.com"));
    EXPECT_EQ(c.local.mailbox, Local::Mailbox::mbox);
    ASSERT_EQ(c.transports.size(), 5U);
    const Transport* relay = c.find_transport("relay");
    ASSERT_NE(relay, nullptr);
    EXPECT_EQ(relay->host, "smtp.example.net");
    EXPECT_EQ(relay->port, 587);
    EXPECT_EQ(relay->tls, Transport::TlsMode::required);
    EXPECT_EQ(relay->auth_password_file, "secrets/relay.pass");
    EXPECT_EQ(relay->tls_ca_file, "secrets/relay-ca.pem");
    EXPECT_EQ(relay->max_connections, 5U);
    EXPECT_EQ(relay->max_messages_per_minute, 600U);
    EXPECT_EQ(c.find_transport("mx")->max_messages_per_minute, 0U);  // no pace
    EXPECT_EQ(c.find_transport("mx")->tls, Transport::TlsMode::opportunistic);
    EXPECT_EQ(c.find_transport("mx")->port, 25);
    EXPECT_TRUE(c.find_transport("mx")->mta_sts);  // secure by default
    EXPECT_TRUE(c.find_transport("mx")->dane);
    EXPECT_EQ(c.find_transport("api")->format, "json");
    EXPECT_EQ(c.find_transport("box")->path, "var/boxes/{user}");
    EXPECT_EQ(c.find_transport("nowhere"), nullptr);
    ASSERT_EQ(c.routes.size(), 2U);
    EXPECT_EQ(c.routes[0].transport, "relay");
    ASSERT_EQ(c.dkim_keys.size(), 2U);
    EXPECT_FALSE(c.dkim_keys[0].require_dns_match);
    EXPECT_TRUE(c.dkim_keys[1].require_dns_match);
    EXPECT_EQ(c.dkim_keys[0].canonicalization, "relaxed/simple");
    EXPECT_EQ(c.dkim_keys[1].canonicalization, "relaxed/relaxed");
    ASSERT_EQ(c.rate_limits.size(), 2U);
    EXPECT_EQ(c.rate_limits[0].count, 100U);
    EXPECT_EQ(c.rate_limits[0].window, Seconds{3600});
    EXPECT_EQ(c.rate_limits[1].match, "client_ip");
    EXPECT_THAT(c.reject.users, ElementsAre("mallory"));
    EXPECT_THAT(c.queue.retry, ElementsAre(Seconds{300}, Seconds{600}, Seconds{60}));
    EXPECT_EQ(c.queue.max_age, Seconds{2 * 86400});
    EXPECT_EQ(c.admin.http, "127.0.0.1:8025");
}

TEST(LoadString, AnApiKeyIsAUserToThePoliciesWithItsOwnRateLimit) {
    const std::string hash(64, 'c');
    auto loaded = load_string("[[api_key]]\nname = \"news\"\nkey_sha256 = \"" + hash +
                                  "\"\nsender_domains = [\"Example.COM\"]\n"
                                  "rate_limit = \"50/minute\"\n"
                                  "[[listener]]\naddress = \"127.0.0.1:8080\"\nmode = \"http\"\n",
                              "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const Config& c = *loaded.config;
    ASSERT_EQ(c.api_keys.size(), 1u);
    EXPECT_EQ(c.api_keys[0].user(), "api:news");
    EXPECT_EQ(c.api_keys[0].key_sha256, hash);
    EXPECT_THAT(c.api_keys[0].sender_domains, ElementsAre("example.com"));
    ASSERT_EQ(c.rate_limits.size(), 1u);
    EXPECT_EQ(c.rate_limits[0].match, "user");
    EXPECT_EQ(c.rate_limits[0].count, 50u);
    EXPECT_THAT(c.rate_limits[0].users, ElementsAre("api:news"));
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].mode, ListenerMode::http);
    EXPECT_FALSE(c.listeners[0].tls);
}

TEST(LoadString, StartsFromTheBuiltInProviders) {
    auto loaded = load_string("", "empty.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    std::vector<std::string> names;
    for (const auto& p : loaded.config->providers) names.push_back(p.name);
    for (const char* expected : {"google", "microsoft-consumer", "microsoft-365", "yahoo", "apple",
                                 "gmx-webde", "orange", "comcast", "mailru", "yandex", "qq"}) {
        EXPECT_THAT(names, ::testing::Contains(expected));
    }
    for (const auto& p : loaded.config->providers) {
        EXPECT_FALSE(p.mx.empty()) << p.name;
        EXPECT_GE(p.max_connections, 1u) << p.name;
    }
}

TEST(LoadString, AProviderTableOverridesABuiltInOneOrAddsOne) {
    auto loaded = load_string(
        "[[provider]]\nname = \"google\"\nmax_connections = 2\n"
        "[[provider]]\nname = \"bigmail\"\nmx = [\"*.Fleet.Bigmail.test\", \"mx.bigmail.test\"]\n",
        "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const auto& providers = loaded.config->providers;
    auto google = std::find_if(providers.begin(), providers.end(),
                               [](const Provider& p) { return p.name == "google"; });
    ASSERT_NE(google, providers.end());
    EXPECT_EQ(google->max_connections, 2u);
    EXPECT_THAT(google->mx, ::testing::Contains("*.google.com")) << "kept from the built-in";
    ASSERT_EQ(providers.back().name, "bigmail");
    EXPECT_THAT(providers.back().mx, ElementsAre("*.fleet.bigmail.test", "mx.bigmail.test"));
    EXPECT_EQ(providers.back().max_connections, 0u) << "0: the transport's";
}

TEST(LoadString, StartsFromTheBuiltInShapingRulesAndReadsMore) {
    auto loaded = load_string(
        "[[provider]]\nname = \"bigmail\"\nmx = [\"*.bigmail.test\"]\n"
        "max_messages_per_minute = 20\nmax_messages_per_day = 1000\n"
        "max_recipients_per_message = 50\nmax_messages_per_connection = 10\n"
        "[[shaping_rule]]\nname = \"bigmail-rate\"\nprovider = \"bigmail\"\ncode = 421\n"
        "enhanced_code = \"4.7.28\"\nmatch = \"rate limit(ed)?\"\naction = \"reduce_rate\"\n"
        "factor = 0.25\n"
        "[[shaping_rule]]\nname = \"google-rate\"\nprovider = \"google\"\n"
        "action = \"suspend\"\nduration = \"1h\"\n"
        "[shaping]\nquiet_period = \"2m\"\nrecovery_step = 0.2\n",
        "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const auto& c = *loaded.config;
    EXPECT_EQ(c.providers.back().max_messages_per_minute, 20u);
    EXPECT_EQ(c.providers.back().max_messages_per_day, 1000u);
    EXPECT_EQ(c.providers.back().max_recipients_per_message, 50u);
    EXPECT_EQ(c.providers.back().max_messages_per_connection, 10u);
    EXPECT_EQ(c.shaping.quiet_period, Seconds{120});
    EXPECT_DOUBLE_EQ(c.shaping.recovery_step, 0.2);
    const auto& rules = c.shaping.rules;
    auto named = [&rules](std::string_view name) {
        return std::find_if(rules.begin(), rules.end(),
                            [&](const ShapingRule& r) { return r.name == name; });
    };
    ASSERT_NE(named("yahoo-tss04"), rules.end()) << "a built-in rule";
    ASSERT_NE(named("google-rate"), rules.end());
    EXPECT_EQ(named("google-rate")->action, ShapingRule::Action::suspend) << "replaced";
    EXPECT_EQ(std::count_if(rules.begin(), rules.end(),
                            [](const ShapingRule& r) { return r.name == "google-rate"; }),
              1);
    const auto rate = named("bigmail-rate");
    ASSERT_NE(rate, rules.end());
    EXPECT_EQ(rate->code, 421);
    EXPECT_EQ(rate->enhanced_code, "4.7.28");
    EXPECT_DOUBLE_EQ(rate->factor, 0.25);
}

TEST(LoadString, ReadsIpPoolsAndTheTransportsThatSendFromThem) {
    auto loaded = load_string(
        "[[ip_pool]]\nname = \"out\"\noverflow = true\n"
        "[[ip_pool.address]]\naddress = \"192.0.2.10\"\nweight = 3\n"
        "[[ip_pool.address]]\naddress = \"192.0.2.11\"\nwarmup_start = 50\nwarmup_factor = 1.5\n"
        "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\nsource_pool = \"out\"\n",
        "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const auto* pool = loaded.config->find_ip_pool("out");
    ASSERT_NE(pool, nullptr);
    EXPECT_TRUE(pool->overflow);
    ASSERT_EQ(pool->addresses.size(), 2u);
    EXPECT_EQ(pool->addresses[0].weight, 3u);
    EXPECT_EQ(pool->addresses[0].warmup_start, 0u);
    EXPECT_EQ(pool->addresses[1].warmup_start, 50u);
    EXPECT_DOUBLE_EQ(pool->addresses[1].warmup_factor, 1.5);
    EXPECT_EQ(loaded.config->transports[0].source_pool, "out");
}

TEST(LoadString, ReadsTheUserToRunAs) {
    auto loaded = load_string("[server]\nuser = \"root\"\ngroup = \"root\"\n", "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    EXPECT_EQ(loaded.config->server.user, "root");
    EXPECT_EQ(loaded.config->server.group, "root");
}

TEST(LoadString, GivesTheDocumentedDefaultsForAnEmptyFile) {
    auto loaded = load_string("", "empty.toml");
    ASSERT_TRUE(loaded.config);
    const Config& c = *loaded.config;
    EXPECT_EQ(c.server.spool_dir, "var/spool");
    EXPECT_EQ(c.limits.max_message_size, 36700160U);
    EXPECT_THAT(c.relay.networks, ElementsAre("127.0.0.0/8", "::1/128"));
    EXPECT_TRUE(c.listeners.empty());
    EXPECT_TRUE(c.routes.empty());
    EXPECT_EQ(c.queue.retry.size(), 6U);
}

struct BadCase {
    const char* name;
    const char* toml;
    const char* expected;  // a substring of the errors
};

const BadCase kBadCases[] = {
    {"typo in a section", "[servr]\nhostname = \"mail.example.com\"\n",
     "t.toml:1: unknown section 'servr' (did you mean 'server'?)"},
    {"key outside a section", "hostname = \"mail.example.com\"\n",
     "t.toml:1: unknown section 'hostname'"},
    {"typo in a key", "[server]\nhostnme = \"mail.example.com\"\n",
     "t.toml:2: unknown key 'hostnme' in server (did you mean 'hostname'?)"},
    {"wrong type", "[server]\nspool_dir = 42\n",
     "t.toml:2: server.spool_dir must be a string, not an integer"},
    {"empty path", "[server]\nlog_dir = \"\"\n",
     "t.toml:2: server.log_dir must be a non-empty path"},
    {"hostname not an fqdn", "[server]\nhostname = \"localhost\"\n",
     "t.toml:2: server.hostname 'localhost' is not a fully qualified domain name"},
    {"section of the wrong kind", "[[server]]\nhostname = \"mail.example.com\"\n",
     "t.toml:1: server must be a table ([server]), not an array"},
    {"listener without port", "[[listener]]\naddress = \"127.0.0.1\"\n",
     "t.toml:2: listener.address '127.0.0.1': expected host:port"},
    {"listener port out of range", "[[listener]]\naddress = \"127.0.0.1:99999\"\n",
     "t.toml:2: listener.address '127.0.0.1:99999': port '99999' is out of range"},
    {"listener ipv6 without brackets", "[[listener]]\naddress = \"::1:25\"\n",
     "t.toml:2: listener.address '::1:25': an IPv6 address needs brackets"},
    {"duplicate listener",
     "[[listener]]\naddress = \"127.0.0.1:25\"\n[[listener]]\naddress = \"127.0.0.1:25\"\n",
     "t.toml:4: listener.address '127.0.0.1:25' is already used by the listener at line 2"},
    {"unknown mode", "[[listener]]\naddress = \"127.0.0.1:25\"\nmode = \"smoke\"\n",
     "t.toml:3: listener.mode must be one of relay, submission, submissions, http, unsubscribe "
     "(got 'smoke')"},
    {"listener without address", "\n[[listener]]\nmode = \"relay\"\n",
     "t.toml:2: listener.address is required"},
    {"listener as a plain table", "[listener]\naddress = \"127.0.0.1:25\"\n",
     "t.toml:1: listener must be an array of tables ([[listener]]), not a table"},
    {"bad duration", "[limits]\ncommand_timeout = \"30x\"\n",
     "t.toml:2: limits.command_timeout: '30x' is not a duration"},
    {"duration of the wrong type", "[limits]\ndata_timeout = true\n",
     "t.toml:2: limits.data_timeout must be a duration such as \"5m\", not a boolean"},
    {"zero timeout", "[limits]\ncommand_timeout = \"0s\"\n",
     "t.toml:2: limits.command_timeout must be at least 1s"},
    {"bad size", "[limits]\nmax_message_size = \"35 MB\"\n",
     "t.toml:2: limits.max_message_size must be a positive size"},
    {"huge size", "[limits]\nmax_message_size = \"2G\"\n",
     "t.toml:2: limits.max_message_size must be at most 1G"},
    {"negative count", "[limits]\n\nmax_recipients = -5\n",
     "t.toml:3: limits.max_recipients must be at least 1 (got -5)"},
    {"zero count", "[limits]\nmax_errors = 0\n", "t.toml:2: limits.max_errors must be at least 1"},
    {"float count", "[limits]\nmax_connections = 1.5\n",
     "t.toml:2: limits.max_connections must be an integer, not a float"},
    {"bad bare line ending mode", "[smtp]\nbare_line_endings = \"fix\"\n",
     "t.toml:2: smtp.bare_line_endings must be one of reject, normalize"},
    {"dns server by name", "[dns]\nservers = [\"dns.example.com:53\"]\n",
     "t.toml:2: dns.servers holds 'dns.example.com:53', which is not an IP address"},
    {"tls cert without key", "[tls]\ncert = \"c.pem\"\n",
     "t.toml:2: tls.cert is set without tls.key: give both or neither"},
    {"bad cidr", "[relay]\nnetworks = [\"127.0.0.0/8\", \"10.0.0.0/33\"]\n",
     "t.toml:2: relay.networks holds '10.0.0.0/33', which is not a network in CIDR notation"},
    {"cidr of the wrong type", "[relay]\nnetworks = [\n  \"127.0.0.0/8\",\n  8,\n]\n",
     "t.toml:4: relay.networks must hold only strings, not an integer"},
    {"user without hash", "[[user]]\nname = \"alice\"\n",
     "t.toml:1: user.password_hash is required"},
    {"user without name", "[[user]]\npassword_hash = \"$6$salt$hash\"\n",
     "t.toml:1: user.name is required"},
    {"plain-text password", "[[user]]\nname = \"alice\"\npassword_hash = \"secret\"\n",
     "t.toml:3: user.password_hash is not a crypt(3) hash"},
    {"md5 password hash", "[[user]]\nname = \"a\"\npassword_hash = \"$1$salt$abcdefgh\"\n",
     "t.toml:3: user.password_hash is not a crypt(3) hash"},
    {"duplicate user",
     "[[user]]\nname = \"a\"\npassword_hash = \"$6$s$h\"\n[[user]]\nname = \"a\"\n"
     "password_hash = \"$6$s$h\"\n",
     "t.toml:5: user.name 'a' is already used by the user at line 2"},
    {"user name with a space", "[[user]]\nname = \"a b\"\npassword_hash = \"$6$s$h\"\n",
     "t.toml:2: user.name must be a word"},
    {"bad sender domain",
     "[[user]]\nname = \"a\"\npassword_hash = \"$6$s$h\"\nsender_domains = [\"not a domain\"]\n",
     "t.toml:4: user.sender_domains holds 'not a domain', which is not a domain name"},
    {"bad local domain", "[local]\ndomains = [\"exa_mple.com\"]\n",
     "t.toml:2: local.domains holds 'exa_mple.com'"},
    {"bad mailbox", "[local]\nmailbox = \"pst\"\n",
     "t.toml:2: local.mailbox must be one of maildir, mbox (got 'pst')"},
    {"local path without user", "[local]\npath = \"var/mail\"\n",
     "t.toml:2: local.path must contain {user}"},
    {"unknown transport type", "[[transport]]\nname = \"x\"\ntype = \"carrier-pigeon\"\n",
     "t.toml:3: transport.type must be one of smtp, null, http, maildir, mbox (got "
     "'carrier-pigeon')"},
    {"transport without type", "[[transport]]\nname = \"x\"\n",
     "t.toml:1: transport.type is required"},
    {"duplicate transport",
     "[[transport]]\nname = \"x\"\ntype = \"null\"\n[[transport]]\nname = \"x\"\ntype = \"null\"\n",
     "t.toml:5: transport.name 'x' is already used by the transport at line 2"},
    {"transport named local", "[[transport]]\nname = \"local\"\ntype = \"null\"\n",
     "t.toml:2: transport.name must be a word without spaces other than 'local'"},
    {"http transport without url", "[[transport]]\nname = \"api\"\ntype = \"http\"\n",
     "t.toml:1: transport.url is required"},
    {"url that is not http", "[[transport]]\nname = \"api\"\ntype = \"http\"\nurl = \"ftp://x\"\n",
     "t.toml:4: transport.url must start with http:// or https://"},
    {"key of another transport type",
     "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\nurl = \"http://x\"\n",
     "t.toml:4: transport.url does not apply to a transport of type smtp"},
    {"smtp key on a null transport", "[[transport]]\nname = \"d\"\ntype = \"null\"\nport = 25\n",
     "t.toml:4: transport.port does not apply to a transport of type null"},
    {"pacing of an http transport",
     "[[transport]]\nname = \"a\"\ntype = \"http\"\nurl = \"http://x\"\n"
     "max_messages_per_minute = 10\n",
     "t.toml:5: transport.max_messages_per_minute does not apply to a transport of type http"},
    {"zero pace", "[[transport]]\nname = \"m\"\ntype = \"smtp\"\nmax_messages_per_minute = 0\n",
     "t.toml:4: transport.max_messages_per_minute must be at least 1 (got 0)"},
    {"tls_ca_file on a mailbox transport",
     "[[transport]]\nname = \"m\"\ntype = \"maildir\"\npath = \"/m/{user}\"\ntls_ca_file = "
     "\"ca.pem\"\n",
     "t.toml:5: transport.tls_ca_file does not apply to a transport of type maildir"},
    {"mta_sts with a smarthost",
     "[[transport]]\nname = \"r\"\ntype = \"smtp\"\nhost = \"relay.test\"\nmta_sts = true\n",
     "t.toml:5: transport.mta_sts applies to delivery to MX hosts: a transport with host has none"},
    {"dane with a smarthost",
     "[[transport]]\nname = \"r\"\ntype = \"smtp\"\nhost = \"relay.test\"\ndane = true\n",
     "t.toml:5: transport.dane applies to delivery to MX hosts: a transport with host has none"},
    {"mta_sts on an http transport",
     "[[transport]]\nname = \"a\"\ntype = \"http\"\nurl = \"http://x\"\nmta_sts = false\n",
     "t.toml:5: transport.mta_sts does not apply to a transport of type http"},
    {"bad tls mode", "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\ntls = \"always\"\n",
     "t.toml:4: transport.tls must be one of none, opportunistic, required"},
    {"port out of range", "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\nport = 70000\n",
     "t.toml:4: transport.port is out of range 1-65535 (got 70000)"},
    {"auth over opportunistic tls",
     "[[transport]]\nname = \"r\"\ntype = \"smtp\"\nauth_user = \"u\"\n"
     "auth_password_file = \"p\"\n",
     "t.toml:4: transport.auth_user needs tls = \"required\""},
    {"auth user without password file",
     "[[transport]]\nname = \"r\"\ntype = \"smtp\"\ntls = \"required\"\nauth_user = \"u\"\n",
     "t.toml:5: transport.auth_user is set without transport.auth_password_file"},
    {"helo not an fqdn", "[[transport]]\nname = \"r\"\ntype = \"smtp\"\nhelo = \"box\"\n",
     "t.toml:4: transport.helo 'box' is not a fully qualified domain name"},
    {"source address not an ip",
     "[[transport]]\nname = \"r\"\ntype = \"smtp\"\nsource_address = \"eth0\"\n",
     "t.toml:4: transport.source_address 'eth0' is not an IP address"},
    {"maildir transport without path", "[[transport]]\nname = \"m\"\ntype = \"maildir\"\n",
     "t.toml:1: transport.path is required"},
    {"route to a missing transport",
     "[[transport]]\nname = \"d\"\ntype = \"null\"\n[[route]]\nsender = \"*\"\n"
     "transport = \"nowhere\"\n",
     "t.toml:6: route.transport 'nowhere' is not the name of a [[transport]]"},
    {"routes without catch-all",
     "[[transport]]\nname = \"d\"\ntype = \"null\"\n[[route]]\nsender = \"*@a.example\"\n"
     "transport = \"d\"\n",
     "t.toml:4: routes must end with one whose sender = \"*\""},
    {"route after the catch-all",
     "[[transport]]\nname = \"d\"\ntype = \"null\"\n[[route]]\nsender = \"*\"\ntransport = \"d\"\n"
     "[[route]]\nsender = \"*@a.example\"\ntransport = \"d\"\n",
     "t.toml:7: route can never match: the route at line 4 (sender = \"*\") matches every "
     "sender first"},
    {"bad route sender",
     "[[transport]]\nname = \"d\"\ntype = \"null\"\n[[route]]\nsender = \"a.example\"\n"
     "transport = \"d\"\n",
     "t.toml:5: route.sender 'a.example' is not an address, *@domain or *"},
    {"dkim key without selector", "[[dkim.key]]\ndomain = \"example.com\"\nprivate_key = \"k\"\n",
     "t.toml:1: dkim.key.selector is required"},
    {"dkim key with a bad domain",
     "[[dkim.key]]\ndomain = \"-x.com\"\nselector = \"s\"\nprivate_key = \"k\"\n",
     "t.toml:2: dkim.key.domain '-x.com' is not a domain name or *"},
    {"dkim key with a bad canonicalization",
     "[[dkim.key]]\ndomain = \"x.com\"\nselector = \"s\"\nprivate_key = \"k\"\n"
     "canonicalization = \"relaxed/fancy\"\n",
     "t.toml:5: dkim.key.canonicalization 'relaxed/fancy' is not simple, relaxed or header/body "
     "such as relaxed/simple"},
    {"unknown key in dkim", "[dkim]\nkeys = []\n",
     "t.toml:2: unknown key 'keys' in dkim (did you mean 'key'?)"},
    {"duplicate dkim key",
     "[[dkim.key]]\ndomain = \"a.com\"\nselector = \"s\"\nprivate_key = \"k\"\n"
     "[[dkim.key]]\ndomain = \"a.com\"\nselector = \"s\"\nprivate_key = \"k2\"\n",
     "t.toml:7: dkim.key.selector 's._domainkey.a.com' is already used by the dkim.key at line 3"},
    {"bad rate", "[[rate_limit]]\nmatch = \"sender\"\nlimit = \"100/fortnight\"\n",
     "t.toml:3: rate_limit.limit '100/fortnight' is not a rate"},
    {"bad rate match", "[[rate_limit]]\nmatch = \"helo\"\nlimit = \"1/day\"\n",
     "t.toml:2: rate_limit.match must be one of sender, user, client_ip, sender_domain"},
    {"bad reject sender", "[reject]\nsenders = [\"nobody\"]\n",
     "t.toml:2: reject.senders holds 'nobody', which is not an address or *@domain"},
    {"api key as plain text", "[[api_key]]\nname = \"app\"\nkey_sha256 = \"secret-token\"\n",
     "t.toml:3: api_key.key_sha256 must be the lower-case hex SHA-256 of the token"},
    {"api key without a hash", "[[api_key]]\nname = \"app\"\n", "api_key.key_sha256 is required"},
    {"duplicate api key",
     "[[api_key]]\nname = \"app\"\nkey_sha256 = "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
     "[[api_key]]\nname = \"app\"\nkey_sha256 = "
     "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n",
     "t.toml:5: api_key.name 'app' is already used by the api_key at line 2"},
    {"bad api key rate",
     "[[api_key]]\nname = \"app\"\nkey_sha256 = "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nrate_limit = "
     "\"lots\"\n",
     "t.toml:4: api_key.rate_limit 'lots' is not a rate"},
    {"user posing as an api key",
     "[[user]]\nname = \"api:app\"\npassword_hash = \"$6$salt$hash\"\n",
     "t.toml:2: user.name may not start with \"api:\""},
    {"plain http listener on the network",
     "[[listener]]\naddress = \"0.0.0.0:8080\"\nmode = \"http\"\n",
     "listener.tls must be true for an http listener beyond loopback"},
    {"tls on an smtp listener", "[[listener]]\naddress = \"127.0.0.1:25\"\ntls = true\n",
     "t.toml:3: listener.tls is for mode = \"http\""},
    {"unknown user", "[server]\nuser = \"no-such-herald-user\"\n",
     "t.toml:2: server.user 'no-such-herald-user' is not a user on this system"},
    {"unknown group", "[server]\nuser = \"root\"\ngroup = \"no-such-herald-group\"\n",
     "t.toml:3: server.group 'no-such-herald-group' is not a group on this system"},
    {"group without user", "[server]\ngroup = \"root\"\n",
     "t.toml:2: server.group needs [server] user"},
    {"provider without mx", "[[provider]]\nname = \"bigmail\"\n", "provider.mx is required"},
    {"provider with a bad mx", "[[provider]]\nname = \"b\"\nmx = [\"*.ok.test\", \"a b\"]\n",
     "t.toml:3: provider.mx holds 'a b', which is not a host name or *.domain"},
    {"provider with no connections",
     "[[provider]]\nname = \"b\"\nmx = [\"*.b.test\"]\nmax_connections = 0\n",
     "t.toml:4: provider.max_connections"},
    {"duplicate provider", "[[provider]]\nname = \"google\"\n[[provider]]\nname = \"google\"\n",
     "t.toml:4: provider.name 'google' is already used by the provider at line 2"},
    {"shaping rule with a bad regex",
     "[[shaping_rule]]\nname = \"r\"\nmatch = \"(unclosed\"\naction = \"bounce\"\n",
     "t.toml:3: shaping_rule.match is not a regular expression"},
    {"shaping rule with factor 0",
     "[[shaping_rule]]\nname = \"r\"\naction = \"reduce_rate\"\nfactor = 0\n",
     "t.toml:4: shaping_rule.factor must be more than 0 and less than 1"},
    {"shaping rule with an unknown provider",
     "[[shaping_rule]]\nname = \"r\"\nprovider = \"nosuch\"\naction = \"bounce\"\n",
     "t.toml:3: shaping_rule.provider 'nosuch' is not a provider"},
    {"shaping rule with an unknown action",
     "[[shaping_rule]]\nname = \"r\"\naction = \"explode\"\n",
     "t.toml:3: shaping_rule.action must be one of reduce_rate, cap_connections, suspend, bounce"},
    {"shaping rule with a key of another action",
     "[[shaping_rule]]\nname = \"r\"\naction = \"bounce\"\nduration = \"1h\"\n",
     "t.toml:4: shaping_rule.duration is for action = \"suspend\""},
    {"shaping rule with a bad enhanced code",
     "[[shaping_rule]]\nname = \"r\"\nenhanced_code = \"4.7\"\naction = \"bounce\"\n",
     "t.toml:3: shaping_rule.enhanced_code '4.7' is not an enhanced status code"},
    {"shaping rule without action", "[[shaping_rule]]\nname = \"r\"\n",
     "shaping_rule.action is required"},
    {"transport with an unknown pool",
     "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\nsource_pool = \"nosuch\"\n",
     "t.toml:4: transport.source_pool 'nosuch' is not an [[ip_pool]]"},
    {"transport with a pool and an address",
     "[[ip_pool]]\nname = \"p\"\n[[ip_pool.address]]\naddress = \"192.0.2.1\"\n"
     "[[transport]]\nname = \"mx\"\ntype = \"smtp\"\nsource_pool = \"p\"\n"
     "source_address = \"192.0.2.1\"\n",
     "transport.source_pool and source_address exclude each other"},
    {"pool without addresses", "[[ip_pool]]\nname = \"p\"\n", "ip_pool.address is required"},
    {"pool address that is no address",
     "[[ip_pool]]\nname = \"p\"\n[[ip_pool.address]]\naddress = \"mx.example\"\n",
     "t.toml:4: ip_pool.address.address 'mx.example' is not an IP address"},
    {"address in two pools",
     "[[ip_pool]]\nname = \"p\"\n[[ip_pool.address]]\naddress = \"192.0.2.1\"\n"
     "[[ip_pool]]\nname = \"q\"\n[[ip_pool.address]]\naddress = \"192.0.2.1\"\n",
     "t.toml:8: ip_pool.address.address '192.0.2.1' is already used by the ip_pool.address at "
     "line 4"},
    {"warm-up factor without a start",
     "[[ip_pool]]\nname = \"p\"\n[[ip_pool.address]]\naddress = \"192.0.2.1\"\n"
     "warmup_factor = 2\n",
     "t.toml:5: ip_pool.address.warmup_factor needs warmup_start"},
    {"recovery step of 0", "[shaping]\nrecovery_step = 0\n",
     "t.toml:2: shaping.recovery_step must be more than 0"},
    {"empty retry list", "[queue]\nretry = []\n", "t.toml:2: queue.retry must not be empty"},
    {"bad retry", "[queue]\nretry = [\"5m\", \"soon\"]\n",
     "t.toml:2: queue.retry: 'soon' is not a duration"},
    {"zero retry", "[queue]\nretry = [\"0m\"]\n",
     "t.toml:2: queue.retry must hold positive durations"},
    {"admin open to the network", "[admin]\nhttp = \"0.0.0.0:8025\"\n",
     "t.toml:2: admin.http listens beyond loopback, so admin.token must be set"},
    {"short admin token", "[admin]\ntoken = \"abc\"\n",
     "t.toml:2: admin.token must be at least 16 characters long"},
    {"syntax error", "[server]\nhostname = \"unterminated\nlog_dir = \"x\"\n",
     "t.toml:2: syntax error: "},
    {"duplicate key", "[server]\nhostname = \"a.example\"\nhostname = \"b.example\"\n",
     "t.toml:3: syntax error: "},
};

void PrintTo(const BadCase& c, std::ostream* os) {
    *os << c.name;
}

class LoaderErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(LoaderErrors, ReportsFileLineAndWhatIsWrong) {
    EXPECT_THAT(joined_errors(GetParam().toml), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(BadConfigs, LoaderErrors, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) {
                             std::string name = info.param.name;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

TEST(LoadString, ReportsEveryErrorInLineOrder) {
    auto loaded = load_string(
        "[[listener]]\naddress = \"127.0.0.1:2525\"\nmode = \"smoke\"\n\n"
        "[server]\nhostname = \"nodots\"\n\n[limits]\ncommand_timeout = \"soon\"\n",
        "t.toml");
    EXPECT_FALSE(loaded.config);
    ASSERT_EQ(loaded.errors.size(), 3U) << ::testing::PrintToString(loaded.errors);
    EXPECT_THAT(loaded.errors[0], HasSubstr("t.toml:3: listener.mode"));
    EXPECT_THAT(loaded.errors[1], HasSubstr("t.toml:6: server.hostname"));
    EXPECT_THAT(loaded.errors[2], HasSubstr("t.toml:9: limits.command_timeout"));
}

TEST(LoadString, DoesNotCascadeFromABadTransportTypeToItsRoutes) {
    auto loaded = load_string(
        "[[transport]]\nname = \"d\"\ntype = \"pigeon\"\n[[route]]\nsender = \"*\"\n"
        "transport = \"d\"\n",
        "t.toml");
    EXPECT_EQ(loaded.errors.size(), 1U) << ::testing::PrintToString(loaded.errors);
}

TEST(LoadString, SurvivesHostileInput) {
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    const std::string inputs[] = {
        "a = " + deep,
        std::string("[server]\nhostname = \"a\0b.example\"\n", 32),
        "[server]\nhostname = \"\xff\xfe\"\n",
        "x = 999999999999999999999999999\n",
        std::string(100000, '['),
        "[limits]\nmax_recipients = 9223372036854775807\ncommand_timeout = 9223372036854775807\n",
        "[[route]]\n[[route]]\n[[route]]\n",
        "[dkim]\nkey = 5\n",
        "[[dkim.key]]\n[[dkim.key]]\n",
        "listener = [1, 2]\n",
        "[[[\n",
        "[=]\n",
        "[[ ,\n",
    };
    for (const auto& input : inputs) {
        auto loaded = load_string(input, "h.toml");
        if (!loaded.config) {
            ASSERT_FALSE(loaded.errors.empty());
            EXPECT_THAT(loaded.errors[0], HasSubstr("h.toml:"));
        }
    }
}

TEST(LoadString, RefusesDurationsBeyondTenYears) {
    EXPECT_THAT(joined_errors("[limits]\ncommand_timeout = 9223372036854775807\n"),
                HasSubstr("t.toml:2: limits.command_timeout must be between 0 and"));
    EXPECT_THAT(joined_errors("[queue]\nmax_age = \"4000d\"\n"),
                HasSubstr("t.toml:2: queue.max_age: '4000d' is not a duration"));
}

TEST(LoadString, CapsTheNumberOfErrorsItPrints) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += "[unknown" + std::to_string(i) + "]\n";
    auto loaded = load_string(text, "t.toml");
    ASSERT_EQ(loaded.errors.size(), 101U);
    EXPECT_EQ(loaded.errors.back(), "t.toml:0: 200 more errors not shown");
}

TEST(LoadString, FindsTheOneDuplicateAmongThousandsOfTransports) {
    std::string text;
    for (int i = 0; i < 20000; ++i) {
        text += "[[transport]]\nname = \"t" + std::to_string(i) + "\"\ntype = \"null\"\n";
    }
    text += "[[transport]]\nname = \"t7\"\ntype = \"null\"\n";
    auto loaded = load_string(text, "t.toml");
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_THAT(loaded.errors[0], HasSubstr("t.toml:60002: transport.name 't7' is already used by "
                                            "the transport at line 23"));
}

TEST(LoadString, RoutesToAnInvalidTransportNameReportOnlyTheName) {
    auto loaded = load_string(
        "[[transport]]\nname = \"local\"\ntype = \"null\"\n[[route]]\nsender = \"*\"\n"
        "transport = \"local\"\n",
        "t.toml");
    ASSERT_EQ(loaded.errors.size(), 1U) << ::testing::PrintToString(loaded.errors);
    EXPECT_THAT(loaded.errors[0], HasSubstr("t.toml:2: transport.name"));
}

TEST(LoadFile, NamesAMissingFile) {
    auto loaded = load_file("/nonexistent/dir/nope.toml");
    EXPECT_FALSE(loaded.config);
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_THAT(loaded.errors[0], HasSubstr("/nonexistent/dir/nope.toml:0: cannot read"));
}

TEST(LoadFile, RefusesADirectory) {
    auto loaded = load_file("/tmp");
    EXPECT_FALSE(loaded.config);
    EXPECT_THAT(loaded.errors.at(0), HasSubstr("is a directory"));
}

TEST(LoadFile, RefusesAFifoWithoutWaitingForAWriter) {
    auto path = std::filesystem::path(::testing::TempDir()) / "herald_loader_test.fifo";
    std::filesystem::remove(path);
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    auto loaded = load_file(path);  // would block forever if it opened the FIFO for reading
    EXPECT_FALSE(loaded.config);
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_EQ(loaded.errors[0], path.string() +
                                    ":0: cannot read: not a regular file (a FIFO, "
                                    "socket or device)");
    std::filesystem::remove(path);
}

TEST(LoadFile, RefusesAFileOverOneMebibyte) {
    auto path = std::filesystem::path(::testing::TempDir()) / "herald_loader_test_big.toml";
    {
        std::ofstream out(path);
        out << "[server]\nhostname = \"mail.example.org\"\n";
        out << std::string(1024 * 1024, '#');
    }
    auto loaded = load_file(path);
    EXPECT_FALSE(loaded.config);
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_THAT(loaded.errors[0], HasSubstr(":0: cannot read: larger than 1 MiB"));
    // Just under the limit is read (a comment-only tail is still TOML).
    std::filesystem::resize_file(path, 1024 * 1024);
    EXPECT_TRUE(load_file(path).config);
    std::filesystem::remove(path);
}

TEST(LoadFile, ReadsAFileAndRemembersItsPath) {
    auto path = std::filesystem::path(::testing::TempDir()) / "herald_loader_test.toml";
    std::ofstream(path) << "[server]\nhostname = \"mail.example.org\"\n";
    auto loaded = load_file(path);
    ASSERT_TRUE(loaded.config);
    EXPECT_EQ(loaded.config->server.hostname, "mail.example.org");
    EXPECT_EQ(loaded.config->source, path);
    std::filesystem::remove(path);
}

TEST(DefaultConfig, LoadsAndSendsNothingOffTheMachine) {
    auto loaded = load_file(HERALD_SOURCE_DIR "/config/herald.toml");
    ASSERT_TRUE(loaded.config) << ::testing::PrintToString(loaded.errors);
    const Config& c = *loaded.config;
    EXPECT_EQ(c.server.spool_dir, "var/spool");
    EXPECT_EQ(c.server.log_dir, "var/log");
    ASSERT_EQ(c.listeners.size(), 2U);
    EXPECT_EQ(c.listeners[0].address, "127.0.0.1:2525");
    EXPECT_EQ(c.listeners[0].mode, ListenerMode::relay);
    EXPECT_EQ(c.listeners[1].address, "127.0.0.1:2587");
    EXPECT_EQ(c.listeners[1].mode, ListenerMode::submission);
    EXPECT_TRUE(c.tls.cert.empty());
    EXPECT_THAT(c.relay.networks, ElementsAre("127.0.0.0/8", "::1/128"));
    EXPECT_TRUE(c.local.domains.empty());
    ASSERT_EQ(c.routes.size(), 1U);
    EXPECT_EQ(c.routes[0].sender, "*");
    const Transport* t = c.find_transport(c.routes[0].transport);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->type, Transport::Type::null);
    EXPECT_EQ(c.transports.size(), 1U);
}

}  // namespace
}  // namespace herald::config

namespace herald::config {
namespace {

TEST(LoadString, ReadsEventSinksBouncesAndSuppression) {
    auto loaded = load_string(R"toml(
[server]
spool_dir = "s"
log_dir = "l"
[[event_sink]]
type = "file"
[[event_sink]]
name = "app"
type = "webhook"
url = "https://app.example/hooks"
secret = "0123456789abcdef0123"
types = ["bounced", "complaint"]
batch_size = 10
batch_wait = 0
max_outbox = 50
[bounces]
domain = "Bounces.Example.com"
fbl_address = "fbl@bounces.example.com"
[suppression]
add_on = ["invalid-recipient", "complaint"]
relayed = "drop"
)toml",
                              "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const auto& c = *loaded.config;
    ASSERT_EQ(c.event_sinks.size(), 2u);
    EXPECT_EQ(c.event_sinks[0].name, "file");
    EXPECT_EQ(c.event_sinks[0].path, std::filesystem::path("l") / "events");
    EXPECT_EQ(c.event_sinks[1].type, EventSink::Type::webhook);
    EXPECT_EQ(c.event_sinks[1].batch_wait.count(), 0);
    EXPECT_EQ(c.event_sinks[1].max_outbox, 50u);
    EXPECT_EQ(c.bounces.domain, "bounces.example.com");
    EXPECT_EQ(c.suppression.database, std::filesystem::path("s") / "suppression.db");
    EXPECT_EQ(c.suppression.relayed, Suppression::Relayed::drop);
    EXPECT_EQ(c.suppression.add_on.size(), 2u);
}

TEST(LoadString, RefusesEventSinksThatCannotWork) {
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"webhook\"\n"), HasSubstr("event_sink.url"));
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"webhook\"\nurl = \"ftp://x\"\n"
                              "secret = \"0123456789abcdef\"\n"),
                HasSubstr("must start with http:// or https://"));
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"kafka\"\n"), HasSubstr("event_sink.type"));
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"file\"\ntypes = [\"opened\"]\n"),
                HasSubstr("'opened' is not an event type"));
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"file\"\n[[event_sink]]\ntype = \"file\"\n"),
                HasSubstr("already used"));
    EXPECT_THAT(joined_errors("[[event_sink]]\ntype = \"file\"\nurl = \"http://x/\"\n"),
                HasSubstr("is for type = \"webhook\""));
}

TEST(LoadString, RefusesBadBounceAndSuppressionSettings) {
    EXPECT_THAT(joined_errors("[bounces]\ndomain = \"not a domain\"\n"),
                HasSubstr("bounces.domain"));
    EXPECT_THAT(joined_errors(
                    "[bounces]\ndomain = \"b.example.com\"\nfbl_address = \"fbl@other.example\"\n"),
                HasSubstr("must be an address at [bounces] domain"));
    EXPECT_THAT(joined_errors("[suppression]\nadd_on = [\"everything\"]\n"),
                HasSubstr("'everything' is neither a bounce category"));
    EXPECT_THAT(joined_errors("[suppression]\nrelayed = \"bounce\"\n"),
                HasSubstr("suppression.relayed"));
}

}  // namespace
}  // namespace herald::config

namespace herald::config {
namespace {

TEST(LoadString, ReadsUnsubscribeWithItsListener) {
    auto loaded = load_string(R"toml(
[[listener]]
address = "127.0.0.1:8443"
mode = "unsubscribe"
tls = true
[unsubscribe]
url = "https://unsub.example.com/u/"
senders = ["Example.com"]
lifetime = "30d"
)toml",
                              "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    EXPECT_EQ(loaded.config->unsubscribe.url, "https://unsub.example.com/u");
    EXPECT_EQ(loaded.config->unsubscribe.senders, std::vector<std::string>{"example.com"});
    EXPECT_EQ(loaded.config->unsubscribe.lifetime.count(), 30 * 24 * 3600);
    EXPECT_EQ(loaded.config->listeners[0].mode, ListenerMode::unsubscribe);
}

TEST(LoadString, RefusesUnsubscribeLinksThatCannotWork) {
    EXPECT_THAT(joined_errors("[unsubscribe]\nurl = \"http://x.example/u\"\nsenders = [\"*\"]\n"),
                HasSubstr("must be an https:// URL"));
    EXPECT_THAT(joined_errors("[unsubscribe]\nurl = \"https://x.example/u\"\n"),
                HasSubstr("unsubscribe.senders is required"));
    EXPECT_THAT(joined_errors("[unsubscribe]\nurl = \"https://x.example/u\"\nsenders = [\"*\"]\n"),
                HasSubstr("needs a [[listener]] with mode = \"unsubscribe\""));
    EXPECT_THAT(joined_errors("[[listener]]\naddress = \"127.0.0.1:1\"\nmode = \"unsubscribe\"\n"),
                HasSubstr("needs [unsubscribe] url"));
}

TEST(LoadString, AnUnsubscribeMailtoMustBeAtTheBounceDomain) {
    const std::string base =
        "[[listener]]\naddress = \"127.0.0.1:8443\"\nmode = \"unsubscribe\"\n"
        "[bounces]\ndomain = \"bounces.example.com\"\nfbl_address = \"fbl@bounces.example.com\"\n"
        "[unsubscribe]\nurl = \"https://u.example.com/u\"\nsenders = [\"*\"]\n";
    auto loaded = load_string(base + "mailto = \"Unsubscribe@Bounces.example.com\"\n", "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    EXPECT_EQ(loaded.config->unsubscribe.mailto, "unsubscribe@bounces.example.com");
    EXPECT_THAT(joined_errors(base + "mailto = \"u@example.com\"\n"),
                HasSubstr("mailto must be an address at [bounces] domain"));
    EXPECT_THAT(joined_errors(base + "mailto = \"fbl@bounces.example.com\"\n"),
                HasSubstr("must not be a VERP address"));
    EXPECT_THAT(joined_errors(base + "mailto = \"not an address\"\n"),
                HasSubstr("is not an address"));
    EXPECT_THAT(joined_errors("[unsubscribe]\nmailto = \"u@bounces.example.com\"\n"),
                HasSubstr("comes beside url"));
}

TEST(LoadString, ReadsComplianceAndDefaultsToLogMode) {
    auto defaults = load_string("", "t.toml");
    ASSERT_TRUE(defaults.config);
    EXPECT_EQ(defaults.config->compliance.mode, Compliance::Mode::log);
    EXPECT_EQ(defaults.config->compliance.daily_volume, 5000u);
    EXPECT_DOUBLE_EQ(defaults.config->compliance.max_complaint_rate, 0.003);
    EXPECT_TRUE(defaults.config->compliance.explain);
    auto loaded = load_string(R"toml(
[compliance]
mode = "reject"
daily_volume = 200
max_complaint_rate = 0.001
block_lists = ["Zen.Example.org"]
explain = false
)toml",
                              "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    EXPECT_EQ(loaded.config->compliance.mode, Compliance::Mode::reject);
    EXPECT_EQ(loaded.config->compliance.daily_volume, 200u);
    EXPECT_DOUBLE_EQ(loaded.config->compliance.max_complaint_rate, 0.001);
    EXPECT_EQ(loaded.config->compliance.block_lists, std::vector<std::string>{"zen.example.org"});
    EXPECT_FALSE(loaded.config->compliance.explain);
}

TEST(LoadString, RefusesComplianceValuesThatMeanNothing) {
    EXPECT_THAT(joined_errors("[compliance]\nmode = \"sometimes\"\n"),
                HasSubstr("compliance.mode must be one of off, log, reject"));
    EXPECT_THAT(joined_errors("[compliance]\nmax_complaint_rate = 2\n"),
                HasSubstr("compliance.max_complaint_rate"));
    EXPECT_THAT(joined_errors("[compliance]\ndaily_volume = 0\n"),
                HasSubstr("compliance.daily_volume"));
    EXPECT_THAT(joined_errors("[compliance]\nblock_lists = [\"not a zone\"]\n"),
                HasSubstr("compliance.block_lists"));
    EXPECT_THAT(joined_errors("[compliance]\ncolour = 1\n"), HasSubstr("colour"));
}

}  // namespace
}  // namespace herald::config

namespace herald::config {
namespace {

TEST(LoadString, ReadsTheClusterSection) {
    auto loaded = load_string(
        "[server]\nhostname = \"mx1.example.com\"\n"
        "[cluster]\nredis = \"redis://herald:pw@10.0.0.9:6380/2\"\non_failure = \"closed\"\n"
        "timeout_ms = 500\nprefix = \"eu:\"\n",
        "t.toml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    const Cluster& cluster = loaded.config->cluster;
    ASSERT_TRUE(cluster.redis);
    EXPECT_EQ(cluster.redis->host, "10.0.0.9");
    EXPECT_EQ(cluster.node, "mx1.example.com");  // the hostname when not named
    EXPECT_EQ(cluster.on_failure, Cluster::OnFailure::closed);
    EXPECT_EQ(cluster.timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(cluster.prefix, "eu:");
    EXPECT_FALSE(load_string("", "t.toml").config->cluster.redis);
}

TEST(LoadString, NamesWhatIsWrongInTheClusterSection) {
    const std::string errors = joined_errors(
        "[cluster]\nredis = \"redis://:pw@host\"\nnode = \"a b\"\non_failure = \"maybe\"\n"
        "password_file = \"/etc/herald/redis.secret\"\ntimeout_ms = 1\n");
    EXPECT_THAT(errors, HasSubstr("cluster.node"));
    EXPECT_THAT(errors, HasSubstr("cluster.on_failure"));
    EXPECT_THAT(errors, HasSubstr("cluster.password_file and a password in redis"));
    EXPECT_THAT(errors, HasSubstr("cluster.timeout_ms"));
    EXPECT_THAT(joined_errors("[cluster]\nnode = \"a\"\n"), HasSubstr("cluster.redis is missing"));
    EXPECT_THAT(joined_errors("[cluster]\nredis = \"tcp://x\"\n"),
                HasSubstr("must start with redis://, rediss://, redis-sentinel://"));
    EXPECT_THAT(joined_errors("[cluster]\nredis = \"redis://x\"\n"
                              "sentinel_password_file = \"/etc/herald/s.secret\"\n"),
                HasSubstr("cluster.sentinel_password_file needs sentinels"));
    EXPECT_EQ(joined_errors("[cluster]\nredis = \"redis-sentinel://x,y#m\"\n"
                            "sentinel_password_file = \"/etc/herald/s.secret\"\n"),
              "");
}

}  // namespace
}  // namespace herald::config
