#include "tlsrpt/report_retry.hpp"

#include <gtest/gtest.h>

namespace herald::tlsrpt {
namespace {

using Clock = PendingPost::Clock;
using namespace std::chrono_literals;

TEST(ReportRetry, WaitsFiveMinutesThenTwiceAsLongEachTime) {
    const Clock::time_point first{Clock::duration(1'796'256'000s)};
    EXPECT_EQ(next_post_attempt(first, 1, first), first + 5min);
    EXPECT_EQ(next_post_attempt(first, 2, first + 5min), first + 15min);
    EXPECT_EQ(next_post_attempt(first, 3, first + 15min), first + 35min);
}

TEST(ReportRetry, GivesUpADayAfterTheFirstAttempt) {
    // RFC 8460 5.5: redelivery for up to 24 hours after the initial attempt.
    const Clock::time_point first{Clock::duration(1'796'256'000s)};
    Clock::time_point now = first;
    unsigned attempts = 1;
    while (auto next = next_post_attempt(first, attempts, now)) {
        EXPECT_LE(*next, first + 24h);
        EXPECT_GT(*next, now);
        now = *next;
        ++attempts;
        ASSERT_LT(attempts, 100u);
    }
    EXPECT_EQ(attempts, 9u);  // 5, 10, 20 ... 640 minutes: 21 h 15 min; the next would pass 24 h
    EXPECT_EQ(next_post_attempt(first, 1000, first), std::nullopt);
}

TEST(ReportRetry, APendingPostReadsBackAsItWasWritten) {
    const PendingPost pending{
        .url = "https://reports.example.net/tlsrpt",
        .report = {.domain = "example.net", .id = "2026-12-04T00:00:00Z_x@y", .json = "{\"a\":1}"},
        .first = Clock::time_point{Clock::duration(1'796'256'000s)},
        .attempts = 3,
        .next = Clock::time_point{Clock::duration(1'796'258'100s)}};
    auto read = PendingPost::from_json(pending.to_json());
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(read->url, pending.url);
    EXPECT_EQ(read->report.domain, pending.report.domain);
    EXPECT_EQ(read->report.id, pending.report.id);
    EXPECT_EQ(read->report.json, pending.report.json);
    EXPECT_EQ(read->first, pending.first);
    EXPECT_EQ(read->attempts, 3u);
    EXPECT_EQ(read->next, pending.next);
}

TEST(ReportRetry, WhatIsNotAPendingPostIsAnError) {
    for (const char* text : {"", "[]", "{\"url\":1}", "{not json",
                             "{\"url\":\"u\",\"domain\":\"d\",\"id\":\"i\",\"report\":\"r\","
                             "\"first\":1,\"attempts\":0,\"next\":2}"}) {
        EXPECT_FALSE(PendingPost::from_json(text)) << text;
    }
}

}  // namespace
}  // namespace herald::tlsrpt
