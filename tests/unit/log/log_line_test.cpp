#include "log/log_line.hpp"

#include <gtest/gtest.h>

#include <random>

namespace herald::log {
namespace {

TEST(LogLine, ReadsADeferral) {
    auto line = parse_main_log_line(
        "2026-11-22T20:55:49.123Z 0abc == bob@example.net T=mx H=mx1.example.net "
        "defer=\"451 4.7.1 greylisted\" next=2026-11-22T21:00:49.000Z");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->ts, "2026-11-22T20:55:49.123Z");
    EXPECT_EQ(line->id, "0abc");
    EXPECT_EQ(line->mark, "==");
    EXPECT_EQ(line->address, "bob@example.net");
    ASSERT_EQ(line->fields.size(), 4u);
    EXPECT_EQ(line->fields[0].first, "T");
    EXPECT_EQ(*line->field("defer"), "451 4.7.1 greylisted");
    EXPECT_EQ(*line->field("next"), "2026-11-22T21:00:49.000Z");
}

TEST(LogLine, ReadsTheNullSenderAndFreeText) {
    auto arrival = parse_main_log_line("2026-11-22T20:55:49.123Z id1 <= <> P=local S=3 R=1");
    ASSERT_TRUE(arrival);
    EXPECT_EQ(arrival->address, "");
    auto event = parse_main_log_line("2026-11-22T20:55:49.123Z id1 bounce id2 sent");
    ASSERT_TRUE(event);
    EXPECT_EQ(event->mark, "");
    EXPECT_EQ(event->text, "bounce id2 sent");
}

TEST(LogLine, RefusesDamagedLines) {
    EXPECT_FALSE(parse_main_log_line(""));
    EXPECT_FALSE(parse_main_log_line("2026-11-22T20:55:49.123Z"));
    EXPECT_FALSE(parse_main_log_line("2026-11-22T20:55:49.123Z id =>"));
    EXPECT_FALSE(parse_main_log_line("2026-11-22T20:55:49.123Z id => a@b C=\"unterminated"));
    EXPECT_FALSE(parse_main_log_line("2026-11-22T20:55:49.123Z id => a@b bare"));
    EXPECT_FALSE(parse_main_log_line("2026-11-22T20:55:49.123Z id => a@b =x"));
    EXPECT_FALSE(parse_reject_log_line("2026-11-22T20:55:49.123Z \"MAIL\" rejected:"));
    EXPECT_FALSE(parse_reject_log_line("2026-11-22T20:55:49.123Z rejected: \"550\" x"));
}

TEST(LogLine, RandomBytesNeverCrashTheParsers) {
    std::mt19937 rng(2026);
    const std::string alphabet = "ab =\"\\[]<>*x\r\n\x01\xff-";
    for (int round = 0; round < 50000; ++round) {
        std::string line = "2026-11-22T20:55:49.123Z ";
        auto length = rng() % 40;
        for (unsigned i = 0; i < length; ++i) line.push_back(alphabet[rng() % alphabet.size()]);
        auto main = parse_main_log_line(line);
        auto reject = parse_reject_log_line(line);
        if (main) {
            EXPECT_EQ(main->ts, "2026-11-22T20:55:49.123Z");
        }
        if (reject) {
            EXPECT_NE(reject->field("command"), nullptr);
        }
    }
}

TEST(LogLine, SplitsAMainLogLineWithoutUnescaping) {
    auto view = split_main_log_line(
        "2026-11-22T20:55:49.123Z id1 <= \"a b\"@example.com [192.0.2.1] A=u R=2 T=\"x y\"");
    ASSERT_TRUE(view);
    EXPECT_EQ(view->ts, "2026-11-22T20:55:49.123Z");
    EXPECT_EQ(view->id, "id1");
    EXPECT_EQ(view->mark, "<=");
    EXPECT_EQ(view->address, "\"a b\"@example.com");
    EXPECT_EQ(view->rest, "[192.0.2.1] A=u R=2 T=\"x y\"");
    TokenCursor cursor(view->rest);
    EXPECT_EQ(raw_field(*cursor.next(), "ip"), "192.0.2.1");
    EXPECT_EQ(raw_field(*cursor.next(), "A"), "u");
    auto r = cursor.next();
    EXPECT_EQ(raw_field(*r, "R"), "2");
    EXPECT_FALSE(raw_field(*r, "A"));
    EXPECT_EQ(raw_field(*cursor.next(), "T"), "\"x y\"");
    EXPECT_FALSE(cursor.next());
    EXPECT_FALSE(cursor.damaged());
}

TEST(LogLine, SplitKeepsTheTextOfOtherLines) {
    auto view = split_main_log_line("2026-11-22T20:55:49.123Z id1 Completed");
    ASSERT_TRUE(view);
    EXPECT_EQ(view->mark, "");
    EXPECT_EQ(view->rest, "Completed");
    EXPECT_FALSE(split_main_log_line("2026-11-22T20:55:49.123Z id1"));
    EXPECT_FALSE(split_main_log_line("2026-11-22T20:55:49.123Z id1 =>"));
}

TEST(LogLine, TokenCursorStopsAtAnUnclosedQuote) {
    TokenCursor cursor("a \"b c");
    EXPECT_EQ(cursor.next(), "a");
    EXPECT_FALSE(cursor.next());
    EXPECT_TRUE(cursor.damaged());
    EXPECT_EQ(cursor.rest(), "");
    TokenCursor trailing_backslash("\"ab\\");
    EXPECT_FALSE(trailing_backslash.next());
    EXPECT_TRUE(trailing_backslash.damaged());
}

}  // namespace
}  // namespace herald::log
