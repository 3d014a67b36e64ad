#include "mailauth/spf/record.hpp"

#include <gtest/gtest.h>

namespace herald::mailauth::spf {
namespace {

Record parsed(std::string_view text) {
    auto record = Record::parse(text);
    EXPECT_TRUE(record.ok()) << text << ": " << (record.ok() ? "" : record.error());
    return record.ok() ? *record : Record{};
}

std::string error_of(std::string_view text) {
    auto record = Record::parse(text);
    return record.ok() ? "" : record.error();
}

TEST(SpfRecord, ParsesEveryMechanismWithItsQualifier) {
    const auto record = parsed(
        "v=spf1 +all -include:_spf.example.com ~a ?mx:mail.example.com ptr ip4:192.0.2.0/24 "
        "ip6:2001:db8::/32 exists:%{i}.bl.example.com");
    ASSERT_EQ(record.mechanisms.size(), 8u);
    EXPECT_EQ(record.mechanisms[0].kind, MechanismKind::all);
    EXPECT_EQ(record.mechanisms[1].qualifier, Qualifier::fail);
    EXPECT_EQ(record.mechanisms[1].domain_spec, "_spf.example.com");
    EXPECT_EQ(record.mechanisms[2].qualifier, Qualifier::softfail);
    EXPECT_EQ(record.mechanisms[3].qualifier, Qualifier::neutral);
    EXPECT_EQ(record.mechanisms[3].domain_spec, "mail.example.com");
    EXPECT_EQ(record.mechanisms[4].kind, MechanismKind::ptr);
    EXPECT_EQ(record.mechanisms[5].cidr4, 24u);
    EXPECT_EQ(record.mechanisms[6].cidr6, 32u);
    EXPECT_EQ(record.mechanisms[7].kind, MechanismKind::exists);
    EXPECT_EQ(record.mechanisms[7].text, "exists:%{i}.bl.example.com");
}

TEST(SpfRecord, ParsesDualCidrLengths) {
    const auto record = parsed("v=spf1 a/24//64 mx:example.com//48 a:example.com/16");
    EXPECT_EQ(record.mechanisms[0].cidr4, 24u);
    EXPECT_EQ(record.mechanisms[0].cidr6, 64u);
    EXPECT_EQ(record.mechanisms[1].cidr4, 32u);
    EXPECT_EQ(record.mechanisms[1].cidr6, 48u);
    EXPECT_EQ(record.mechanisms[2].domain_spec, "example.com");
    EXPECT_EQ(record.mechanisms[2].cidr4, 16u);
}

TEST(SpfRecord, ReadsRedirectAndExpAndIgnoresUnknownModifiers) {
    const auto record = parsed("v=spf1 mx redirect=_spf.example.com exp=why.example.com foo=bar");
    EXPECT_EQ(record.redirect, "_spf.example.com");
    EXPECT_EQ(record.explanation, "why.example.com");
    EXPECT_EQ(record.mechanisms.size(), 1u);
}

TEST(SpfRecord, RefusesSyntaxErrorsAnywhere) {
    for (const char* bad : {"v=spf1 -all moo",
                            "v=spf1 all:x",
                            "v=spf1 a/33",
                            "v=spf1 a//129",
                            "v=spf1 ip4:1.2.3.4/032",
                            "v=spf1 ip4",
                            "v=spf1 ip6:1.2.3.4",
                            "v=spf1 include",
                            "v=spf1 include:",
                            "v=spf1 exists",
                            "v=spf1 ptr/24",
                            "v=spf1 redirect=a.example.com redirect=b.example.com",
                            "v=spf1 exp=a.example.com exp=b.example.com",
                            "v=spf1 exp=",
                            "v=spf1 1up=foo",
                            "v=spf1 =all",
                            "v=spf1 foo=%x",
                            "v=spf1 a:foo\tbar.example.com",
                            "v=spf1 a:example.com\x80",
                            "v=spf1 redirect:example.com"}) {
        EXPECT_NE(error_of(bad), "") << bad;
    }
}

TEST(SpfRecord, NamesTheFaultyTermInItsError) {
    EXPECT_NE(error_of("v=spf1 ip4:192.0.2.1 -alll").find("-alll"), std::string::npos);
}

TEST(SpfRecord, RecognisesTheVersionAnyCaseAndOnlyBeforeASpace) {
    EXPECT_TRUE(is_spf_record("v=spf1"));
    EXPECT_TRUE(is_spf_record("V=SpF1 -all"));
    EXPECT_FALSE(is_spf_record("v=spf10"));
    EXPECT_FALSE(is_spf_record("v=spf1mx"));
    EXPECT_FALSE(is_spf_record("spf1"));
}

TEST(SpfRecord, ParsesAHugeRecordWithoutTrouble) {
    std::string text = "v=spf1";
    for (int i = 0; i < 20000; ++i) text += " ip4:192.0.2." + std::to_string(i % 256);
    text += std::string(1000, ' ') + "-all";
    EXPECT_EQ(parsed(text).mechanisms.size(), 20001u);
}

}  // namespace
}  // namespace herald::mailauth::spf
