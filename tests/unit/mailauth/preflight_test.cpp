#include "mailauth/preflight.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"

namespace herald::mailauth {
namespace {

using boost::asio::awaitable;

constexpr const char* kZone = R"(
brand.test:
  - TXT: "v=spf1 ip4:192.0.2.10 -all"
_dmarc.brand.test:
  - TXT: "v=DMARC1; p=reject"
down.test:
  - TIMEOUT
_dmarc.down.test:
  - TIMEOUT
)";

// The fixture's answers with the TTL a test chooses, every query counted.
class TtlResolver final : public dns::Resolver {
  public:
    explicit TtlResolver(std::uint32_t ttl)
        : fixture_(*dns::FixtureResolver::from_yaml(YAML::Load(kZone))), ttl_(ttl) {}

    awaitable<dns::Answer<dns::MxRecord>> mx(std::string_view name) override {
        co_return with_ttl(co_await fixture_.mx(name));
    }
    awaitable<dns::Answer<std::string>> a(std::string_view name) override {
        co_return with_ttl(co_await fixture_.a(name));
    }
    awaitable<dns::Answer<std::string>> aaaa(std::string_view name) override {
        co_return with_ttl(co_await fixture_.aaaa(name));
    }
    awaitable<dns::Answer<std::string>> txt(std::string_view name) override {
        co_return with_ttl(co_await fixture_.txt(name));
    }
    awaitable<dns::Answer<std::string>> ptr(std::string_view ip) override {
        co_return with_ttl(co_await fixture_.ptr(ip));
    }
    awaitable<dns::Answer<dns::TlsaRecord>> tlsa(std::string_view name) override {
        co_return with_ttl(co_await fixture_.tlsa(name));
    }

    int queries = 0;

  private:
    template <typename T>
    dns::Answer<T> with_ttl(dns::Answer<T> answer) {
        ++queries;
        answer.ttl = ttl_;
        return answer;
    }

    dns::FixtureResolver fixture_;
    std::uint32_t ttl_;
};

PreflightInput input(const std::string& ip) {
    return {.from_domain = "brand.test",
            .sender = "news@brand.test",
            .helo = "mail.brand.test",
            .ip = ip};
}

TEST(Preflight, FailsDmarcForAnUncoveredIpAndSaysWhatToFix) {
    TtlResolver resolver(300);
    Preflight preflight;
    const auto result = dns::testing::run_coroutine(preflight.check(input("192.0.2.99"), resolver));
    EXPECT_FALSE(result.dmarc.pass);
    EXPECT_EQ(result.summary().substr(0, 45), "dmarc=fail spf=fail dkim=none policy=reject: ");
    const auto refusal = result.refusal(input("192.0.2.99"));
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->find("cover 192.0.2.99"), std::string::npos) << *refusal;
}

TEST(Preflight, KeepsResultsWhileTheirRecordsMayBeCached) {
    TtlResolver resolver(300);
    Preflight preflight;
    EXPECT_TRUE(
        dns::testing::run_coroutine(preflight.check(input("192.0.2.10"), resolver)).dmarc.pass);
    const int first = resolver.queries;
    EXPECT_GT(first, 0);
    EXPECT_TRUE(
        dns::testing::run_coroutine(preflight.check(input("192.0.2.10"), resolver)).dmarc.pass);
    EXPECT_EQ(resolver.queries, first);
}

TEST(Preflight, DoesNotKeepResultsOfRecordsWithTtlZero) {
    TtlResolver resolver(0);
    Preflight preflight;
    dns::testing::run_coroutine(preflight.check(input("192.0.2.10"), resolver));
    const int first = resolver.queries;
    dns::testing::run_coroutine(preflight.check(input("192.0.2.10"), resolver));
    EXPECT_EQ(resolver.queries, 2 * first);
}

// While DNS fails, the next message does not start the same lookups again (RFC 9520).
TEST(Preflight, KeepsAFailedLookupForAWhile) {
    TtlResolver resolver(300);
    Preflight preflight;
    PreflightInput down{.from_domain = "down.test",
                        .sender = "news@down.test",
                        .helo = "mail.down.test",
                        .ip = "192.0.2.10"};
    const auto result = dns::testing::run_coroutine(preflight.check(down, resolver));
    ASSERT_TRUE(result.spf.has_value());
    EXPECT_EQ(result.spf->outcome, spf::Outcome::temperror);
    EXPECT_EQ(result.dmarc.lookup.status, dmarc::PolicyStatus::temperror);
    const int first = resolver.queries;
    EXPECT_GT(first, 0);
    dns::testing::run_coroutine(preflight.check(down, resolver));
    EXPECT_EQ(resolver.queries, first);
}

}  // namespace
}  // namespace herald::mailauth
