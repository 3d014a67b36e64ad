#include "policy/relay_policy.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace herald::policy {
namespace {

using smtp::SessionMode;

constexpr const char* kInside = "10.1.2.3";    // in relay.networks
constexpr const char* kOutside = "192.0.2.1";  // not

config::Config test_config() {
    config::Config c;
    c.local.domains = {"local.test", "Other.Local.Test"};
    c.local.recipients = {"bob", "bob+news", "carol@local.test"};
    c.relay.networks = {"10.0.0.0/8", "2001:db8::/32"};
    c.relay.block_auth_relay_on_relay_listeners = true;
    c.users = {{.name = "alice", .password_hash = "$6$s$h", .sender_domains = {"example.com"}},
               {.name = "bob", .password_hash = "$6$s$h", .sender_domains = {"*"}},
               {.name = "mallory", .password_hash = "$6$s$h", .sender_domains = {"example.com"}},
               {.name = "nobody", .password_hash = "$6$s$h", .sender_domains = {}}};
    c.reject.senders = {"Bad@Example.NET", "*@spam.test"};
    c.reject.users = {"mallory"};
    return c;
}

struct Decision {
    const char* what;
    SessionMode mode;
    const char* client_ip;
    const char* auth_user;
    const char* address;
    int code;  // 0: accepted
    const char* enhanced;
};

void PrintTo(const Decision& d, std::ostream* os) {
    *os << d.what;
}

std::optional<smtp::Reply> decide_recipient(const Decision& d, RelayPolicy& policy) {
    smtp::SessionView session{.mode = d.mode, .client_ip = d.client_ip, .auth_user = d.auth_user};
    return policy.check_recipient(session, d.address);
}

std::optional<smtp::Reply> decide_sender(const Decision& d, RelayPolicy& policy) {
    smtp::SessionView session{.mode = d.mode, .client_ip = d.client_ip, .auth_user = d.auth_user};
    return policy.check_sender(session, d.address);
}

void expect_decision(const Decision& d, const std::optional<smtp::Reply>& reply) {
    if (d.code == 0) {
        EXPECT_FALSE(reply) << d.what << ": refused with " << reply->code << " " << reply->enhanced
                            << " " << reply->lines.at(0);
        return;
    }
    ASSERT_TRUE(reply) << d.what << ": accepted";
    EXPECT_EQ(reply->code, d.code) << d.what;
    EXPECT_EQ(reply->enhanced, d.enhanced) << d.what;
    ASSERT_EQ(reply->lines.size(), 1U);
    EXPECT_FALSE(reply->lines[0].empty());
}

constexpr auto R = SessionMode::relay;
constexpr auto S = SessionMode::submission;
constexpr auto SS = SessionMode::submissions;

const Decision kRecipientDecisions[] = {
    {"local domain from a stranger", R, kOutside, "", "bob@local.test", 0, ""},
    {"local domain in another case", R, kOutside, "", "BOB@LOCAL.TEST", 0, ""},
    {"second local domain, mixed case", R, kOutside, "", "bob@other.LOCAL.test", 0, ""},
    {"unknown local user", R, kOutside, "", "mallory@local.test", 550, "5.1.1"},
    {"user listed for another local domain only", R, kOutside, "", "carol@other.local.test", 550,
     "5.1.1"},
    {"user listed for this local domain", R, kOutside, "", "carol@local.test", 0, ""},
    {"postmaster of a local domain, unlisted", R, kOutside, "", "postmaster@other.local.test", 0,
     ""},
    {"postmaster without a domain (RFC 5321 4.5.1)", R, kOutside, "", "postmaster", 0, ""},
    {"quoted local part left quoted is never a mailbox", R, kOutside, "", "\"bob\"@local.test", 550,
     "5.1.1"},
    {"plus-tagged local part", R, kOutside, "", "bob+news@local.test", 0, ""},
    {"relay from a stranger", R, kOutside, "", "victim@example.net", 554, "5.7.1"},
    {"relay from the relay network", R, kInside, "", "anyone@example.net", 0, ""},
    {"relay from an ipv4-mapped client", R, "::ffff:10.9.9.9", "", "anyone@example.net", 0, ""},
    {"relay from the ipv6 relay network", R, "2001:db8::7", "", "anyone@example.net", 0, ""},
    {"relay from a client that is no address", R, "garbage", "", "anyone@example.net", 554,
     "5.7.1"},
    {"relay by an authenticated user on submission", S, kOutside, "alice", "x@example.net", 0, ""},
    {"relay by an authenticated user on submissions", SS, kOutside, "alice", "x@example.net", 0,
     ""},
    {"authenticated relay on the relay listener", R, kOutside, "alice", "x@example.net", 554,
     "5.7.1"},
    {"authenticated relay on the relay listener from the relay network", R, kInside, "alice",
     "x@example.net", 0, ""},
    {"submission without authentication", S, kInside, "", "bob@local.test", 530, "5.7.0"},
    {"submissions without authentication", SS, kInside, "", "x@example.net", 530, "5.7.0"},
    {"subdomain of a local domain is not local", R, kOutside, "", "bob@sub.local.test", 554,
     "5.7.1"},
    {"local domain as a prefix is not local", R, kOutside, "", "bob@local.test.evil.example", 554,
     "5.7.1"},
    {"address literal is not local", R, kOutside, "", "user@[127.0.0.1]", 554, "5.7.1"},
    {"percent hack through a local domain", R, kOutside, "", "user%victim.example.net@local.test",
     550, "5.7.1"},
    {"quoted @ through a local domain", R, kOutside, "", "\"user@victim.example.net\"@local.test",
     550, "5.7.1"},
    {"source route through a local domain", R, kOutside, "", "@local.test:user@victim.example.net",
     550, "5.7.1"},
    {"two-hop source route", R, kOutside, "", "@local.test,@other.test:user@victim.example.net",
     550, "5.7.1"},
    {"bang path through a local domain", R, kOutside, "", "victim.example.net!user@local.test", 550,
     "5.7.1"},
    {"quoted bang path", R, kOutside, "", "\"victim.example.net!user\"@local.test", 550, "5.7.1"},
    {"quoted percent hack", R, kOutside, "", "\"user%victim.example.net\"@local.test", 550,
     "5.7.1"},
    {"two @ signs", R, kOutside, "", "user@victim.example.net@local.test", 550, "5.7.1"},
    {"percent hack from the relay network is not relayed", R, kInside, "",
     "user%victim.example@example.net", 550, "5.7.1"},
    {"bang path from an authenticated user is not relayed", S, kOutside, "alice",
     "host!user@example.net", 550, "5.7.1"},
    {"path escape in a quoted local part", R, kOutside, "", "\"../escape\"@local.test", 550,
     "5.1.1"},
    {"dot-dot local part", R, kOutside, "", "..@local.test", 550, "5.1.1"},
    {"leading dot local part", R, kOutside, "", ".bob@local.test", 550, "5.1.1"},
    {"slashes in a quoted local part", R, kOutside, "", "\"a/../../b\"@local.test", 550, "5.1.1"},
    {"empty address", R, kInside, "", "", 553, "5.1.3"},
    {"no domain", R, kInside, "", "bob", 553, "5.1.3"},
    {"trailing dot domain", R, kOutside, "", "bob@local.test.", 553, "5.1.3"},
    {"control character", R, kInside, "", "bob@local.test\r\nRCPT TO:<x@y.z>", 553, "5.1.3"},
};

class RecipientDecisions : public ::testing::TestWithParam<Decision> {};

TEST_P(RecipientDecisions, FollowTheRelayRules) {
    RelayPolicy policy(test_config());
    expect_decision(GetParam(), decide_recipient(GetParam(), policy));
}

INSTANTIATE_TEST_SUITE_P(RelayPolicy, RecipientDecisions, ::testing::ValuesIn(kRecipientDecisions));

const Decision kSenderDecisions[] = {
    {"any sender from a stranger on the relay listener", R, kOutside, "", "x@example.org", 0, ""},
    {"null sender on the relay listener", R, kOutside, "", "", 0, ""},
    {"rejected sender", R, kInside, "", "bad@example.net", 550, "5.7.1"},
    {"rejected sender in another case", R, kInside, "", "BAD@example.NET", 550, "5.7.1"},
    {"rejected sender domain", R, kOutside, "", "anyone@spam.test", 550, "5.7.1"},
    {"rejected sender domain in another case", R, kOutside, "", "anyone@SPAM.Test", 550, "5.7.1"},
    {"subdomain of a rejected domain is not rejected", R, kOutside, "", "a@x.spam.test", 0, ""},
    {"user sends as its own domain", S, kOutside, "alice", "alice@example.com", 0, ""},
    {"user's domain in another case", S, kOutside, "alice", "alice@EXAMPLE.com", 0, ""},
    {"forged sender domain", S, kOutside, "alice", "ceo@example.org", 553, "5.7.1"},
    {"subdomain of the user's domain", S, kOutside, "alice", "alice@mail.example.com", 553,
     "5.7.1"},
    {"null sender from a user", S, kOutside, "alice", "", 553, "5.7.1"},
    {"user with every domain", S, kOutside, "bob", "bob@anything.example", 0, ""},
    {"null sender from a user with every domain", S, kOutside, "bob", "", 553, "5.7.1"},
    {"user with no sender domains", S, kOutside, "nobody", "nobody@example.com", 553, "5.7.1"},
    {"rejected user", S, kOutside, "mallory", "mallory@example.com", 550, "5.7.1"},
    {"user unknown to the config", S, kOutside, "ghost", "ghost@example.com", 553, "5.7.1"},
    {"rejected sender even for a user", S, kOutside, "bob", "bad@example.net", 550, "5.7.1"},
    {"forged sender on the relay listener by a user", R, kInside, "alice", "x@example.org", 553,
     "5.7.1"},
    {"submission without authentication", S, kInside, "", "alice@example.com", 530, "5.7.0"},
    {"submissions without authentication", SS, kInside, "", "alice@example.com", 530, "5.7.0"},
};

class SenderDecisions : public ::testing::TestWithParam<Decision> {};

TEST_P(SenderDecisions, FollowTheSenderRules) {
    RelayPolicy policy(test_config());
    expect_decision(GetParam(), decide_sender(GetParam(), policy));
}

INSTANTIATE_TEST_SUITE_P(RelayPolicy, SenderDecisions, ::testing::ValuesIn(kSenderDecisions));

TEST(RelayPolicy, RejectsEverySpellingOfARejectedSender) {
    auto config = test_config();
    config.reject.senders = {"\"Bad\"@Example.NET"};
    RelayPolicy policy(config);
    smtp::SessionView session{.mode = SessionMode::relay, .client_ip = kInside};
    // The session hands over canonical addresses: "bad"@ and "b\ad"@ arrive as bad@.
    EXPECT_TRUE(policy.check_sender(session, "bad@example.net"));
    EXPECT_TRUE(policy.check_sender(session, "BAD@example.net"));
}

TEST(RelayPolicy, TrustsItsNetworksAndAuthenticatedUsersOnly) {
    RelayPolicy policy(test_config());
    EXPECT_TRUE(policy.is_trusted_client(kInside, ""));
    EXPECT_TRUE(policy.is_trusted_client(kOutside, "alice"));
    EXPECT_FALSE(policy.is_trusted_client(kOutside, ""));
    EXPECT_TRUE(policy.may_send_as_domain("alice", "Example.COM"));
    EXPECT_FALSE(policy.may_send_as_domain("alice", "example.org"));
    EXPECT_TRUE(policy.may_send_as_domain("bob", "anything.example"));
}

TEST(RelayPolicy, DeniesRelayByNetworkWhenTheNetworkListIsMalformed) {
    auto config = test_config();
    config.relay.networks = {"10.0.0.0/8", "not a network"};
    RelayPolicy policy(config);
    smtp::SessionView session{.mode = SessionMode::relay, .client_ip = kInside};
    auto reply = policy.check_recipient(session, "x@example.net");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, 554);
}

TEST(RelayPolicy, AllowsAuthenticatedRelayOnTheRelayListenerWhenConfigured) {
    auto config = test_config();
    config.relay.block_auth_relay_on_relay_listeners = false;
    RelayPolicy policy(config);
    smtp::SessionView session{
        .mode = SessionMode::relay, .client_ip = kOutside, .auth_user = "alice"};
    EXPECT_FALSE(policy.check_recipient(session, "x@example.net"));
}

TEST(RelayPolicy, TellsAuthenticatedUsersOnTheRelayPortToUseSubmission) {
    RelayPolicy policy(test_config());
    smtp::SessionView session{
        .mode = SessionMode::relay, .client_ip = kOutside, .auth_user = "alice"};
    auto reply = policy.check_recipient(session, "x@example.net");
    ASSERT_TRUE(reply);
    EXPECT_NE(reply->lines.at(0).find("submission"), std::string::npos);
}

TEST(RelayPolicy, WithNoLocalDomainsRelaysOnlyForTheAllowed) {
    config::Config config;  // defaults: loopback relays, no local domains
    RelayPolicy policy(config);
    smtp::SessionView loopback{.mode = SessionMode::relay, .client_ip = "127.0.0.1"};
    smtp::SessionView stranger{.mode = SessionMode::relay, .client_ip = kOutside};
    EXPECT_FALSE(policy.check_recipient(loopback, "x@example.net"));
    EXPECT_FALSE(
        policy.check_recipient({.mode = SessionMode::relay, .client_ip = "::1"}, "x@example.net"));
    ASSERT_TRUE(policy.check_recipient(stranger, "x@example.net"));
    EXPECT_EQ(policy.check_recipient(stranger, "x@example.net")->code, 554);
}

}  // namespace
}  // namespace herald::policy
