#include "tlspolicy/mta_sts_policy.hpp"

#include <gtest/gtest.h>

#include "tlspolicy/mta_sts_source.hpp"

namespace herald::tlspolicy {
namespace {

// RFC 8461 3.2's example, with CRLF line ends as servers send them.
constexpr const char* kExample =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
    "mx: backupmx.example.com\r\nmax_age: 604800\r\n";

TEST(MtaStsPolicy, ReadsTheRfcsExample) {
    auto policy = parse_mta_sts_policy(kExample);
    ASSERT_TRUE(policy) << policy.error();
    EXPECT_EQ(policy->mode, MtaStsPolicy::Mode::enforce);
    EXPECT_EQ(policy->max_age, 604800);
    EXPECT_EQ(policy->mx, (std::vector<std::string>{"mail.example.com", "*.example.net",
                                                    "backupmx.example.com"}));
    const auto applied = policy->as_tls_policy();
    EXPECT_TRUE(applied.enforced());
    EXPECT_EQ(applied.label(), "sts");
    EXPECT_TRUE(applied.allows("MAIL.example.com."));
    EXPECT_TRUE(applied.allows("mx1.example.net"));
    EXPECT_FALSE(applied.allows("example.net"));
    EXPECT_FALSE(applied.allows("a.b.example.net"));
    EXPECT_FALSE(applied.allows("evil.example.org"));
}

TEST(MtaStsPolicy, TestingAllowsEveryHostAndNoneIsNoPolicy) {
    auto testing =
        parse_mta_sts_policy("version: STSv1\nmode: testing\nmx: mx.a.test\nmax_age: 60\n");
    ASSERT_TRUE(testing) << testing.error();
    const auto applied = testing->as_tls_policy();
    EXPECT_FALSE(applied.enforced());
    EXPECT_EQ(applied.label(), "sts-testing");
    EXPECT_TRUE(applied.allows("other.b.test"));
    EXPECT_FALSE(applied.names("other.b.test"));
    auto none = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n");
    ASSERT_TRUE(none) << none.error();
    EXPECT_EQ(none->as_tls_policy().label(), "opportunistic");
}

TEST(MtaStsPolicy, TheFirstOfAKeyCountsAndUnknownKeysArePassedOver) {
    auto policy = parse_mta_sts_policy(
        "version: STSv1\nmode: testing\nmode: enforce\nfuture: 1\nmx: mx.a.test\nmax_age: 5\n");
    ASSERT_TRUE(policy) << policy.error();
    EXPECT_EQ(policy->mode, MtaStsPolicy::Mode::testing);
}

TEST(MtaStsPolicy, RefusesWhatTheRfcDoesNotAllow) {
    for (const char* bad :
         {"", "mode: enforce\nmx: a.test\nmax_age: 5\n",              // no version
          "version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 5\n",  // another version
          "version: STSv1\nmx: a.test\nmax_age: 5\n",                 // no mode
          "version: STSv1\nmode: strict\nmx: a.test\nmax_age: 5\n",   // a bad mode
          "version: STSv1\nmode: enforce\nmax_age: 5\n",              // no mx
          "version: STSv1\nmode: enforce\nmx: a.test\n",              // no max_age
          "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n",
          "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n",
          "version: STSv1\nmode: enforce\nmx: a..test\nmax_age: 5\n",
          "version: STSv1\nmode: enforce\nmx: *\nmax_age: 5\n",
          "version: STSv1\nmode: enforce\nmx: a.test/x\nmax_age: 5\n",
          "<html>not a policy</html>"}) {
        EXPECT_FALSE(parse_mta_sts_policy(bad)) << bad;
    }
}

TEST(MtaStsPolicy, ACachedPolicyReadsBackAsItWasKept) {
    auto policy = parse_mta_sts_policy(kExample);
    ASSERT_TRUE(policy);
    const CachedPolicy kept{.policy = *policy, .id = "20160831085700Z", .fetched = 1000};
    auto read = read_cached_policy(kept.text());
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(read->policy, kept.policy);
    EXPECT_EQ(read->id, kept.id);
    EXPECT_EQ(read->fetched, 1000);
    EXPECT_TRUE(read->current(1000 + 604799));
    EXPECT_FALSE(read->current(1000 + 604800));
    EXPECT_FALSE(read_cached_policy(policy->text()));  // no id, no fetched: not Herald's file
}

}  // namespace
}  // namespace herald::tlspolicy
