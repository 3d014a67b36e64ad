#include "accept/envelope_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::accept {
namespace {

using ::testing::ElementsAre;

config::Config test_config() {
    config::Config c;
    c.server.hostname = "mail.example.com";
    c.local.domains = {"local.test"};
    c.local.recipients = {"bob"};
    c.reject.senders = {"blocked@example.com"};
    c.api_keys = {
        {.name = "news", .key_sha256 = std::string(64, 'a'), .sender_domains = {"example.com"}}};
    return c;
}

class EnvelopeCheckTest : public ::testing::Test {
  protected:
    std::optional<EnvelopeRefusal> check(const std::string& sender,
                                         const std::vector<std::string>& recipients,
                                         const smtp::SessionView& view = local_user()) {
        policy::SessionGate gate(relay, nullptr);
        return check_envelope(gate, view, sender, recipients, "mail.example.com", envelope);
    }
    static smtp::SessionView local_user() {
        return {.mode = smtp::SessionMode::relay, .local_user = true};
    }
    static smtp::SessionView api_key() {
        return {.mode = smtp::SessionMode::submission,
                .client_ip = "192.0.2.7",
                .auth_user = "api:news"};
    }
    policy::RelayPolicy relay{test_config()};
    message::Envelope envelope;
};

TEST_F(EnvelopeCheckTest, KeepsCanonicalAddressesWithoutDuplicates) {
    ASSERT_FALSE(
        check("App@EXAMPLE.com", {"\"bob\"@LOCAL.test", "bob@local.test", "someone@Example.NET"}));
    EXPECT_EQ(envelope.sender, "App@example.com");
    EXPECT_THAT(envelope.recipients, ElementsAre("bob@local.test", "someone@example.net"));
}

TEST_F(EnvelopeCheckTest, ALocalUserMayRelayAndAnUnqualifiedNameIsOfThisHost) {
    ASSERT_FALSE(check("root", {"someone@example.net"}));
    EXPECT_EQ(envelope.sender, "root@mail.example.com");
}

TEST_F(EnvelopeCheckTest, WhatIsNotAnAddressGetsSmtpsSyntaxReplies) {
    auto recipient = check("app@example.com", {"not an address"});
    ASSERT_TRUE(recipient);
    EXPECT_FALSE(recipient->is_sender);
    EXPECT_EQ(recipient->address, "not an address");
    EXPECT_EQ(recipient->reply.enhanced, "5.1.3");
    auto sender = check("bad sender@@", {"someone@example.net"});
    ASSERT_TRUE(sender);
    EXPECT_TRUE(sender->is_sender);
    EXPECT_EQ(sender->reply.enhanced, "5.1.7");
}

TEST_F(EnvelopeCheckTest, AddressTricksRejectListsAndUnknownLocalUsersAreRefused) {
    auto percent = check("app@example.com", {"user%other.example@example.net"});
    ASSERT_TRUE(percent);
    EXPECT_EQ(percent->reply.code, 550);
    EXPECT_EQ(percent->reply.enhanced, "5.7.1");
    auto rejected = check("Blocked@example.com", {"someone@example.net"});
    ASSERT_TRUE(rejected);
    EXPECT_TRUE(rejected->is_sender);
    EXPECT_EQ(rejected->reply.code, 550);
    auto unknown = check("app@example.com", {"nobody@local.test"});
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->reply.enhanced, "5.1.1");
}

TEST_F(EnvelopeCheckTest, AnApiKeySendsOnlyAsItsOwnDomains) {
    EXPECT_FALSE(check("app@example.com", {"someone@example.net"}, api_key()));
    auto foreign = check("ceo@bank.example", {"someone@example.net"}, api_key());
    ASSERT_TRUE(foreign);
    EXPECT_TRUE(foreign->is_sender);
    EXPECT_EQ(foreign->reply.enhanced, "5.7.1");
}

TEST_F(EnvelopeCheckTest, NobodyElseRelays) {
    const smtp::SessionView stranger{.mode = smtp::SessionMode::relay, .client_ip = "192.0.2.9"};
    auto refused = check("a@example.org", {"someone@example.net"}, stranger);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->reply.code, 554);
    EXPECT_FALSE(check("a@example.org", {"bob@local.test"}, stranger));
}

}  // namespace
}  // namespace herald::accept
