#include "accept/signing_decision.hpp"

#include <gtest/gtest.h>

namespace herald::accept {
namespace {

using Verdict = SigningDecision::Verdict;
using Unowned = config::DkimSigning::UnownedFrom;

config::Config test_config() {
    config::Config c;
    c.relay.networks = {"10.0.0.0/8"};
    c.local.domains = {"local.test"};
    c.users = {{.name = "alice", .password_hash = "$6$s$h", .sender_domains = {"example.com"}},
               {.name = "root", .password_hash = "$6$s$h", .sender_domains = {"*"}}};
    return c;
}

message::Envelope from(std::string client_ip, std::string auth_user = "") {
    message::Envelope envelope;
    envelope.client_ip = std::move(client_ip);
    envelope.auth_user = std::move(auth_user);
    return envelope;
}

class SigningDecisionTest : public ::testing::Test {
  protected:
    Verdict verdict(const message::Envelope& envelope, std::optional<std::string> domain,
                    Unowned unowned = Unowned::reject) {
        return decide_signing(relay, unowned, envelope, domain).verdict;
    }
    policy::RelayPolicy relay{test_config()};
};

TEST_F(SigningDecisionTest, NeverSignsForAnOutsider) {
    EXPECT_EQ(origin_of(relay, from("192.0.2.1")), Origin::outsider);
    EXPECT_EQ(verdict(from("192.0.2.1"), "example.com"), Verdict::leave_unsigned);
    EXPECT_EQ(verdict(from("192.0.2.1"), "local.test"), Verdict::leave_unsigned);
}

TEST_F(SigningDecisionTest, SignsForTheRelayNetworksAndLocalUsers) {
    EXPECT_EQ(origin_of(relay, from("10.1.2.3")), Origin::trusted_network);
    EXPECT_EQ(verdict(from("10.1.2.3"), "example.com"), Verdict::sign);
    EXPECT_EQ(origin_of(relay, from("", "www-data")), Origin::local_user);
    EXPECT_EQ(verdict(from("", "www-data"), "example.com"), Verdict::sign);
}

TEST_F(SigningDecisionTest, SignsForAUserOnlyItsOwnFromDomains) {
    EXPECT_EQ(origin_of(relay, from("192.0.2.1", "alice")), Origin::authenticated_user);
    EXPECT_EQ(verdict(from("192.0.2.1", "alice"), "example.com"), Verdict::sign);
    EXPECT_EQ(verdict(from("192.0.2.1", "alice"), "bank.example"), Verdict::refuse);
    EXPECT_EQ(verdict(from("192.0.2.1", "alice"), "bank.example", Unowned::relay_unsigned),
              Verdict::leave_unsigned);
    // Inside the relay networks too: the account's rights decide, not the address.
    EXPECT_EQ(verdict(from("10.1.2.3", "alice"), "bank.example"), Verdict::refuse);
    EXPECT_EQ(verdict(from("192.0.2.1", "root"), "bank.example"), Verdict::sign);
}

TEST_F(SigningDecisionTest, SaysWhyItRefuses) {
    auto decision = decide_signing(relay, Unowned::reject, from("192.0.2.1", "alice"),
                                   std::string("bank.example"));
    EXPECT_NE(decision.reason.find("bank.example"), std::string::npos) << decision.reason;
    EXPECT_NE(decision.reason.find("alice"), std::string::npos) << decision.reason;
}

}  // namespace
}  // namespace herald::accept
