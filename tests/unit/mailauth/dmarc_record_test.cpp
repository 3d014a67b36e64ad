#include "mailauth/dmarc/record.hpp"

#include <gtest/gtest.h>

namespace herald::mailauth::dmarc {
namespace {

std::string error_of(std::string_view text) {
    auto record = Record::parse(text);
    return record.ok() ? "" : record.error();
}

TEST(DmarcRecord, ParsesEveryTag) {
    const auto record = Record::parse(
        " v = DMARC1 ; p=quarantine; sp=reject; np=reject; adkim=s; aspf=r; pct=25; "
        "rua=mailto:agg@example.com; ruf=mailto:f@example.com,https://r.example.net/x; fo=1:d; "
        "rf=afrf; ri=3600;");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->policy, Policy::quarantine);
    EXPECT_EQ(record->subdomain_policy, Policy::reject);
    EXPECT_EQ(record->nonexistent_policy, Policy::reject);
    EXPECT_EQ(record->dkim_alignment, Alignment::strict);
    EXPECT_EQ(record->spf_alignment, Alignment::relaxed);
    EXPECT_EQ(record->percent, 25u);
    EXPECT_EQ(record->aggregate_uris, std::vector<std::string>{"mailto:agg@example.com"});
    EXPECT_EQ(record->failure_uris.size(), 2u);
    EXPECT_EQ(record->failure_options, "1:d");
    EXPECT_EQ(record->report_interval, 3600u);
}

// What the record kept of a tag's bad value: the one "ignored" line naming it, or "".
std::string ignored_of(std::string_view text) {
    auto record = Record::parse(text);
    if (!record.ok()) return "error: " + record.error();
    return record->ignored.size() == 1 ? record->ignored.front() : "";
}

TEST(DmarcRecord, IgnoresEachBadValueAndKeepsTheTagsDefault) {
    EXPECT_NE(ignored_of("v=DMARC1; p=none; aspf=x").find("bad aspf"), std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; pct=-1").find("bad pct"), std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; pct=99999999999999999999").find("bad pct"),
              std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; fo=2").find("bad fo"), std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; ri=soon").find("bad ri"), std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; rua=d@example.com").find("bad rua"), std::string::npos);
    EXPECT_NE(ignored_of("v=DMARC1; p=none; sp=maybe").find("bad sp"), std::string::npos);

    const auto record = Record::parse("v=DMARC1; p=reject; sp=maybe; pct=150; adkim=x; ri=soon");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->policy, Policy::reject);
    EXPECT_EQ(record->subdomain_policy, Policy::reject);  // sp's default is p
    EXPECT_EQ(record->percent, 100u);
    EXPECT_EQ(record->dkim_alignment, Alignment::relaxed);
    EXPECT_EQ(record->report_interval, 86400u);
    EXPECT_EQ(record->ignored.size(), 4u);
}

TEST(DmarcRecord, KeepsTheValidReportUrisBesideABadOne) {
    const auto record = Record::parse("v=DMARC1; p=none; rua=mailto:a@example.com, nonsense");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->aggregate_uris, std::vector<std::string>{"mailto:a@example.com"});
    EXPECT_EQ(record->ignored.size(), 1u);
}

TEST(DmarcRecord, RefusesAMalformedRecord) {
    EXPECT_NE(error_of("v=DMARC1; p=none; p=reject").find("duplicate"), std::string::npos);
    EXPECT_NE(error_of("v=DMARC1; p").find("no '='"), std::string::npos);
    EXPECT_NE(error_of("v=DMARC1; p=block").find("bad p"), std::string::npos);
    // A bad p with only a bad rua: nowhere to report, so no usable record (6.6.3).
    EXPECT_NE(error_of("v=DMARC1; p=block; rua=nonsense").find("bad p"), std::string::npos);
}

TEST(DmarcRecord, ReadsABadPolicyAsNoneWhenReportsAreAskedFor) {
    const auto record = Record::parse("v=DMARC1; p=block; rua=mailto:d@example.com");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->policy, Policy::none);
}

TEST(DmarcRecord, RecognisesOnlyVersionOneRecordsInDiscovery) {
    EXPECT_TRUE(is_dmarc_record("v=DMARC1; p=none"));
    EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
    EXPECT_TRUE(is_dmarc_record("v = DMARC1;p=none"));
    EXPECT_TRUE(is_dmarc_record("V=DMARC1; p=none"));   // the tag name in any case
    EXPECT_FALSE(is_dmarc_record("v=dmarc1; p=none"));  // the value exactly
    EXPECT_FALSE(is_dmarc_record("v=DMARC10; p=none"));
    EXPECT_FALSE(is_dmarc_record("v=spf1 -all"));
    EXPECT_FALSE(is_dmarc_record("p=none; v=DMARC1"));
    EXPECT_FALSE(is_dmarc_record(";v=DMARC1; p=none"));
    EXPECT_FALSE(Record::parse(";v=DMARC1; p=none"));
}

TEST(DmarcRecord, SurvivesHostileRecords) {
    EXPECT_NE(error_of(""), "");
    EXPECT_NE(error_of(std::string(100000, ';')), "");
    std::string many = "v=DMARC1; p=none";
    for (int i = 0; i < 2000; ++i) many += "; x" + std::to_string(i) + "=y";
    EXPECT_EQ(error_of(many), "");
    EXPECT_NE(error_of(std::string("v=DMARC1; p=none\0; pct=5", 24)), "x");
}

}  // namespace
}  // namespace herald::mailauth::dmarc
