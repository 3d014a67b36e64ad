#include "log/log_value.hpp"

#include <gtest/gtest.h>

namespace herald::log {
namespace {

TEST(LogValue, PlainValuesAreWrittenAsTheyAre) {
    EXPECT_EQ(format_value("alice@example.com"), "alice@example.com");
    EXPECT_EQ(format_value("[192.0.2.1]"), "[192.0.2.1]");
    EXPECT_EQ(format_value("a=b"), "a=b");
}

TEST(LogValue, SpacesQuotesAndControlBytesAreQuotedAndEscaped) {
    EXPECT_EQ(format_value(""), "\"\"");
    EXPECT_EQ(format_value("two words"), "\"two words\"");
    EXPECT_EQ(format_value("say \"hi\""), "\"say \\\"hi\\\"\"");
    EXPECT_EQ(format_value("a\r\nb\tc\\d"), "\"a\\r\\nb\\tc\\\\d\"");
    EXPECT_EQ(format_value(std::string("nul\0\x1b\x7f", 6)), "\"nul\\x00\\x1b\\x7f\"");
}

TEST(LogValue, ValidUtf8StaysReadableButInvalidBytesAreEscaped) {
    EXPECT_EQ(format_value("jöran@bücher.example"), "\"jöran@bücher.example\"");
    EXPECT_EQ(format_value("\xff\xc3"), "\"\\xff\\xc3\"");
    EXPECT_EQ(format_value("\xc0\xaf"), "\"\\xc0\\xaf\"");  // overlong '/'
}

TEST(LogValue, LineSeparatorsAndBidiOverridesAreEscaped) {
    EXPECT_EQ(format_value("a\u2028b"), "\"a\\xe2\\x80\\xa8b\"");
    EXPECT_EQ(format_value("x\u202Ey"), "\"x\\xe2\\x80\\xaey\"");
    EXPECT_EQ(format_value("\xc2\x85"), "\"\\xc2\\x85\"");  // NEL
}

TEST(LogValue, EveryByteRoundTrips) {
    std::string all;
    for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
    auto written = format_value(all);
    EXPECT_EQ(written.find('\n'), std::string::npos);
    EXPECT_EQ(written.find('\r'), std::string::npos);
    EXPECT_EQ(parse_value(written), all);
    EXPECT_EQ(parse_value(format_quoted("plain")), "plain");
}

TEST(LogValue, LongValuesAreCutAndSaySo) {
    std::string long_value(kMaxLogValue + 100, 'x');
    auto written = format_value(long_value);
    EXPECT_EQ(written.size(), kMaxLogValue + 5);
    EXPECT_TRUE(written.ends_with("...\""));
}

TEST(LogValue, AddressesShowTheNullSenderAsAngleBrackets) {
    EXPECT_EQ(format_address(""), "<>");
    EXPECT_EQ(format_address("<>"), "\"<>\"");
    EXPECT_EQ(format_address("a@b"), "a@b");
}

TEST(LogValue, FreeTextIsQuotedOnlyWhenItCouldMislead) {
    EXPECT_EQ(format_text("held by administrator"), "held by administrator");
    EXPECT_EQ(format_text("=> forged@example.com"), "\"=> forged@example.com\"");
    EXPECT_EQ(format_text("\"quoted\""), "\"\\\"quoted\\\"\"");
    EXPECT_EQ(format_text("two\nlines"), "\"two\\nlines\"");
    EXPECT_EQ(format_text(""), "\"\"");
}

TEST(LogValue, MalformedQuotedStringsAreRefused) {
    EXPECT_FALSE(parse_value("\"unterminated"));
    EXPECT_FALSE(parse_value("\"bad \\q escape\""));
    EXPECT_FALSE(parse_value("\"bad \\x4\""));
    EXPECT_FALSE(parse_value("\"inner \" quote\""));
    EXPECT_FALSE(parse_value("\""));
    EXPECT_EQ(parse_value("raw"), "raw");
}

}  // namespace
}  // namespace herald::log
