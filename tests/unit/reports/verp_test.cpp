#include "reports/verp.hpp"

#include <gtest/gtest.h>

namespace herald::reports {
namespace {

const Verp kVerp("bounces.example.com", "0123456789abcdef0123456789abcdef");
constexpr std::string_view kId = "01jd2k3m4n5p6q7r8s9t";

TEST(Verp, NamesTheMessageAndTheRecipient) {
    const auto path = kVerp.return_path(kId, "Alice@Example.NET");
    ASSERT_TRUE(path);
    EXPECT_TRUE(path->starts_with("b+01jd2k3m4n5p6q7r8s9t."));
    EXPECT_TRUE(path->ends_with("=Alice=Example.NET@bounces.example.com"));
    const auto token = kVerp.verify(*path);
    ASSERT_TRUE(token);
    EXPECT_EQ(token->queue_id, kId);
    EXPECT_EQ(token->recipient, "alice@example.net");
}

TEST(Verp, VerifiesWhateverCaseTheBouncerWrites) {
    auto path = *kVerp.return_path(kId, "bob@example.net");
    for (auto& c : path) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(kVerp.verify(path));
}

TEST(Verp, RefusesAnAlteredOrForgedAddress) {
    const auto path = *kVerp.return_path(kId, "bob@example.net");
    std::string other_recipient = path;
    other_recipient.replace(other_recipient.find("=bob="), 5, "=eve=");
    EXPECT_FALSE(kVerp.verify(other_recipient));
    std::string other_mac = path;
    other_mac[2 + kId.size() + 1] = other_mac[2 + kId.size() + 1] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(kVerp.verify(other_mac));
    const Verp other_key("bounces.example.com", "another key, another herald.....");
    EXPECT_FALSE(other_key.verify(path));
    EXPECT_FALSE(kVerp.verify("b+@bounces.example.com"));
    EXPECT_FALSE(kVerp.verify("b+x.y=z@bounces.example.com"));
    EXPECT_FALSE(kVerp.verify("postmaster@bounces.example.com"));
    EXPECT_FALSE(kVerp.verify(path.substr(0, path.find('@')) + "@elsewhere.example"));
}

TEST(Verp, KeepsEqualsSignsOfTheRecipientsLocalPart) {
    const auto path = kVerp.return_path(kId, "a=b@example.net");
    ASSERT_TRUE(path);
    const auto token = kVerp.verify(*path);
    ASSERT_TRUE(token);
    EXPECT_EQ(token->recipient, "a=b@example.net");
}

TEST(Verp, LeavesOutRecipientsThatNeedQuoting) {
    EXPECT_FALSE(kVerp.return_path(kId, "\"a b\"@example.net"));
    EXPECT_FALSE(kVerp.return_path(kId, "no-at-sign"));
    EXPECT_FALSE(kVerp.return_path(kId, "j\xc3\xbcrgen@example.net"));
}

TEST(Verp, KnowsItsDomain) {
    EXPECT_TRUE(kVerp.at_bounce_domain("anything@Bounces.Example.com"));
    EXPECT_FALSE(kVerp.at_bounce_domain("anything@example.com"));
}

}  // namespace
}  // namespace herald::reports
