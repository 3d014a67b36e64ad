#include "delivery/dane.hpp"

#include <gtest/gtest.h>

#include "../dns/run_coroutine.hpp"
#include "fake_resolver.hpp"

namespace herald::delivery {
namespace {

using dns::testing::run_coroutine;
using testing::answer;
using testing::FakeResolver;
using Kind = DaneRequirement::Kind;

const std::string kSha256(32, '\x5a');

dns::Answer<dns::TlsaRecord> secure(std::vector<dns::TlsaRecord> records) {
    auto a = answer(dns::Status::ok, std::move(records));
    a.secure = true;
    return a;
}

TEST(Dane, UsesOnlyDaneUsagesKnownSelectorsAndDigestsOfTheirLength) {
    EXPECT_TRUE(usable_for_smtp({3, 1, 1, kSha256}));
    EXPECT_TRUE(usable_for_smtp({2, 0, 2, std::string(64, 'x')}));
    EXPECT_TRUE(usable_for_smtp({3, 0, 0, "a DER certificate"}));
    EXPECT_FALSE(usable_for_smtp({1, 1, 1, kSha256}));  // PKIX-EE: not for SMTP
    EXPECT_FALSE(usable_for_smtp({0, 0, 1, kSha256}));  // PKIX-TA
    EXPECT_FALSE(usable_for_smtp({3, 2, 1, kSha256}));  // no such selector
    EXPECT_FALSE(usable_for_smtp({3, 1, 3, kSha256}));  // no such matching type
    EXPECT_FALSE(usable_for_smtp({3, 1, 1, std::string(31, 'x')}));
    EXPECT_FALSE(usable_for_smtp({3, 1, 2, kSha256}));  // SHA-512 is 64 bytes
}

TEST(Dane, SecureUsableRecordsAskForAuthentication) {
    const auto r =
        dane_requirement(secure({{1, 1, 1, kSha256}, {3, 1, 1, kSha256}}), "_25._tcp.mx");
    EXPECT_EQ(r.kind, Kind::authenticate);
    EXPECT_EQ(r.records, (std::vector<dns::TlsaRecord>{{3, 1, 1, kSha256}}));
    EXPECT_TRUE(r.applies());
}

TEST(Dane, SecureRecordsNoneUsableAskForEncryptionOnly) {
    const auto r = dane_requirement(secure({{1, 1, 1, kSha256}}), "_25._tcp.mx");
    EXPECT_EQ(r.kind, Kind::encrypt);
    EXPECT_TRUE(r.applies());
}

TEST(Dane, InsecureOrMissingRecordsLeaveTheUsualPolicy) {
    EXPECT_EQ(
        dane_requirement(answer(dns::Status::ok, std::vector<dns::TlsaRecord>{{3, 1, 1, kSha256}}),
                         "_25._tcp.mx")
            .kind,
        Kind::none);
    EXPECT_EQ(dane_requirement(answer<dns::TlsaRecord>(dns::Status::nxdomain), "x").kind,
              Kind::none);
    EXPECT_EQ(dane_requirement(answer<dns::TlsaRecord>(dns::Status::nodata), "x").kind, Kind::none);
}

TEST(Dane, AFailedOrBogusLookupMakesTheHostUnreachable) {
    auto bogus = answer<dns::TlsaRecord>(dns::Status::servfail);
    bogus.why = "DNSSEC validation failed: signature expired";
    const auto r = dane_requirement(bogus, "_25._tcp.mx.example.com");
    EXPECT_EQ(r.kind, Kind::unreachable);
    EXPECT_EQ(r.why,
              "TLSA lookup for _25._tcp.mx.example.com failed: DNSSEC validation failed: "
              "signature expired");
    EXPECT_FALSE(r.applies());
    EXPECT_EQ(dane_requirement(answer<dns::TlsaRecord>(dns::Status::timeout), "t").kind,
              Kind::unreachable);
}

TEST(Dane, NamesTheTlsaBaseByPortAndHost) {
    EXPECT_EQ(tlsa_name("mx.example.com.", 25), "_25._tcp.mx.example.com");
    EXPECT_EQ(tlsa_name("mx.example.com", 2525), "_2525._tcp.mx.example.com");
}

TEST(Dane, LooksUpTlsaOnlyForASecureHost) {
    FakeResolver dns;
    dns.tlsa_answers["_25._tcp.mx.example.com"] = secure({{3, 1, 1, kSha256}});
    const TargetHost insecure{"mx.example.com", {"192.0.2.1"}, false};
    EXPECT_EQ(run_coroutine(dane_requirement_for(dns, insecure, 25)).kind, Kind::none);
    EXPECT_TRUE(dns.queries.empty());
    const TargetHost secured{"mx.example.com", {"192.0.2.1"}, true};
    EXPECT_EQ(run_coroutine(dane_requirement_for(dns, secured, 25)).kind, Kind::authenticate);
    EXPECT_EQ(dns.queries, std::vector<std::string>{"TLSA _25._tcp.mx.example.com"});
}

}  // namespace
}  // namespace herald::delivery
