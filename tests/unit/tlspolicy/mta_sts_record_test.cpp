#include "tlspolicy/mta_sts_record.hpp"

#include <gtest/gtest.h>

namespace herald::tlspolicy {
namespace {

TEST(MtaStsRecord, ReadsTheIdOfTheOneRecord) {
    auto found = find_mta_sts_record({"v=spf1 -all", "v=STSv1; id=20160831085700Z;"});
    ASSERT_TRUE(found.record) << found.problem;
    EXPECT_EQ(found.record->id, "20160831085700Z");
    auto spaced = find_mta_sts_record({"v=STSv1 ;id = abc123 ; ext_field=value"});
    ASSERT_TRUE(spaced.record) << spaced.problem;
    EXPECT_EQ(spaced.record->id, "abc123");
}

TEST(MtaStsRecord, NoneIsNoPolicyAndNoProblem) {
    for (const auto& txt : std::vector<std::vector<std::string>>{
             {}, {"v=spf1 -all"}, {"v=STSv10; id=1"}, {"V=STSv1; id=1"}, {" v=STSv1; id=1"}}) {
        auto found = find_mta_sts_record(txt);
        EXPECT_FALSE(found.record);
        EXPECT_TRUE(found.problem.empty()) << found.problem;
    }
}

TEST(MtaStsRecord, SeveralRecordsMeanNoPolicy) {
    auto found = find_mta_sts_record({"v=STSv1; id=1", "v=STSv1; id=2"});
    EXPECT_FALSE(found.record);
    EXPECT_EQ(found.problem, "2 v=STSv1 records");
}

TEST(MtaStsRecord, AMalformedRecordIsAProblem) {
    for (const char* bad : {"v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=a-b",
                            "v=STSv1; id=123456789012345678901234567890123", "v=STSv1; id=1; id=2",
                            "v=STSv1; id", "v=STSv1;; id=1", "v=STSv1; id=1; ext="}) {
        auto found = find_mta_sts_record({bad});
        EXPECT_FALSE(found.record) << bad;
        EXPECT_TRUE(found.problem.starts_with("a malformed record"))
            << bad << ": " << found.problem;
    }
}

}  // namespace
}  // namespace herald::tlspolicy
