#include "tlsrpt/tls_counts.hpp"

#include <gtest/gtest.h>

namespace herald::tlsrpt {
namespace {

using delivery::TlsFailure;
using delivery::TlsSession;

TlsSession sts_session(std::optional<TlsFailure> failure, std::string mx = "mx.a.test") {
    return {.domain = "a.test",
            .policy = TlsSession::Policy::sts,
            .policy_strings = {"version: STSv1", "mode: enforce"},
            .mx_hosts = {"*.a.test"},
            .failure = failure,
            .sending_ip = "192.0.2.1",
            .receiving_mx = std::move(mx),
            .receiving_ip = "192.0.2.25"};
}

TEST(TlsCounts, AddsUpPerDomainPolicyAndKindOfFailure) {
    TlsCounts counts;
    counts.add(sts_session(std::nullopt));
    counts.add(sts_session(std::nullopt));
    counts.add(sts_session(TlsFailure::certificate_expired));
    counts.add(sts_session(TlsFailure::certificate_expired));
    counts.add(sts_session(TlsFailure::certificate_expired, "mx2.a.test"));
    counts.add({.domain = "a.test"});  // no policy found: a policy of its own
    ASSERT_EQ(counts.domains().size(), 1u);
    const auto& policies = counts.domains().at("a.test");
    ASSERT_EQ(policies.size(), 2u);
    EXPECT_EQ(policies[0].type, "sts");
    EXPECT_EQ(policies[0].successes, 2u);
    EXPECT_EQ(policies[0].failure_total(), 3u);
    ASSERT_EQ(policies[0].failures.size(), 2u);
    const FailureKind expired{"certificate-expired", "192.0.2.1", "mx.a.test", "192.0.2.25"};
    EXPECT_EQ(policies[0].failures.at(expired), 2u);
    EXPECT_EQ(policies[1].type, "no-policy-found");
    EXPECT_EQ(policies[1].successes, 1u);
}

TEST(TlsCounts, SurviveTheirFileAndMerge) {
    TlsCounts counts;
    counts.add(sts_session(std::nullopt));
    counts.add(sts_session(TlsFailure::starttls_not_supported));
    auto read = TlsCounts::from_json(counts.to_json());
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(read->to_json(), counts.to_json());
    read->merge(counts);
    const auto& policy = read->domains().at("a.test").front();
    EXPECT_EQ(policy.successes, 2u);
    EXPECT_EQ(policy.failure_total(), 2u);
    EXPECT_FALSE(TlsCounts::from_json(boost::json::value{{"domains", 3}}));
    EXPECT_FALSE(TlsCounts::from_json(boost::json::value(nullptr)));
}

TEST(TlsCounts, StayWithinBounds) {
    TlsCounts counts;
    for (std::size_t i = 0; i < TlsCounts::kMaxFailureKinds + 5; ++i) {
        counts.add(sts_session(TlsFailure::validation_failure, "mx" + std::to_string(i)));
    }
    EXPECT_EQ(counts.domains().at("a.test").front().failures.size(), TlsCounts::kMaxFailureKinds);
    EXPECT_EQ(counts.dropped(), 5u);
}

}  // namespace
}  // namespace herald::tlsrpt
