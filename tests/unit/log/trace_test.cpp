#include "log/trace.hpp"

#include <gtest/gtest.h>

#include "generated_log.hpp"
#include "log/log_reader.hpp"
#include "log_test_support.hpp"

namespace herald::log {
namespace {

using Kind = TraceQuery::Kind;

const std::vector<std::string> kMainLog = {
    log_ts(10) + " m1 <= alice@example.com H=c.example [192.0.2.1] P=esmtp S=10 R=2",
    log_ts(11) + " m1 => bob@example.net T=mx H=mx.example.net C=\"250 ok\"",
    log_ts(11) + " m2 <= carol@example.com H=d.example [198.51.100.2] P=esmtp S=10 R=1",
    log_ts(12) + " m2 => Bob@Example.NET T=mx H=mx.example.net C=\"250 ok\"",
    log_ts(12) + " m1 == dave@example.org T=mx H=mx.example.org defer=\"451 later\"",
    log_ts(13) + " m2 Completed",
    log_ts(14) + " - herald stopping",
    log_ts(300) + " m1 => dave@example.org T=mx H=mx.example.org C=\"250 ok\"",
    log_ts(300) + " m1 Completed",
    log_ts(400) + " m3 <= <> P=local S=10 R=1",
    log_ts(401) + " m3 ** alice@example.com T=mx H=mx.example.com \"550 no\"",
};

const std::vector<std::string> kRejectLog = {
    log_ts(-100) + " H=c.example [192.0.2.1] \"RCPT TO:<old@example.net>\" rejected: \"550 no\"",
    log_ts(9) + " H=c.example [192.0.2.1] \"RCPT TO:<bad@example.net>\" rejected: \"550 no\"",
    log_ts(9) +
        " H=x.example [203.0.113.9] \"MAIL FROM:<alice@EXAMPLE.com>\" rejected: "
        "\"550 5.7.1 listed\"",
    log_ts(12) + " H=y.example [203.0.113.10] \"RCPT TO:<bob@example.net>\" rejected: \"550 no\"",
    log_ts(20) + " H=z.example [198.51.100.2] \"AUTH PLAIN\" rejected: \"535 no\"",
    "damaged line \"",
};

std::vector<std::string> trace(std::string_view query_text,
                               const std::vector<std::string>& main = kMainLog,
                               const std::vector<std::string>& reject = kRejectLog) {
    auto query = TraceQuery::parse(query_text);
    if (!query) return {"<bad query>"};
    Trace trace(*query);
    for (const auto& line : main) trace.find(line);
    for (const auto& line : main) trace.collect(line);
    for (const auto& line : reject) trace.collect_reject(line);
    std::vector<std::string> out;
    for (const auto& line : trace.lines()) out.push_back(std::string(line.log) + ": " + line.line);
    return out;
}

TEST(TraceQuery, TellsAddressesIpsAndMessageIdsApart) {
    auto address = TraceQuery::parse("<Alice@Example.COM>");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->kind, Kind::address);
    EXPECT_EQ(address->value, "alice@example.com");
    EXPECT_EQ(TraceQuery::parse("<>")->kind, Kind::address);
    EXPECT_EQ(TraceQuery::parse("192.0.2.1")->kind, Kind::client_ip);
    EXPECT_EQ(TraceQuery::parse("2001:DB8::1")->value, "2001:db8::1");
    auto id = TraceQuery::parse("1k0x1f3xbd2n5n4xvqbb");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->kind, Kind::message_id);
    EXPECT_EQ(id->value, "1k0x1f3xbd2n5n4xvqbb");
}

TEST(TraceQuery, RefusesEmptyAndControlCharacters) {
    EXPECT_FALSE(TraceQuery::parse(""));
    EXPECT_FALSE(TraceQuery::parse("a b"));
    EXPECT_FALSE(TraceQuery::parse("a\nb"));
    EXPECT_FALSE(TraceQuery::parse(std::string_view("a\0b", 3)));
}

TEST(Trace, AnIdGivesEveryLineOfThatMessageInOrderWithItsSessionRejections) {
    EXPECT_EQ(trace("m1"),
              (std::vector<std::string>{
                  "rejectlog: " + kRejectLog[1],  // same client, seconds before the arrival
                  "mainlog: " + kMainLog[0],
                  "mainlog: " + kMainLog[1],
                  "mainlog: " + kMainLog[4],
                  "mainlog: " + kMainLog[7],
                  "mainlog: " + kMainLog[8],
              }));
}

// Refused and then queued within the same millisecond, the refusal still comes first.
TEST(Trace, ARefusalInTheSameMillisecondAsItsSessionsArrivalComesFirst) {
    const std::vector<std::string> main = {
        log_ts(10) + " m1 <= alice@example.com H=c.example [192.0.2.1] P=esmtp S=10 R=1"};
    const std::vector<std::string> reject = {
        log_ts(10) + " H=c.example [192.0.2.1] \"RCPT TO:<>\" rejected: \"501 empty\""};
    EXPECT_EQ(trace("m1", main, reject),
              (std::vector<std::string>{"rejectlog: " + reject[0], "mainlog: " + main[0]}));
}

TEST(Trace, ARecipientFindsItsMessagesFromTheirArrivalOn) {
    // m1 and m2 both went to bob (spelt in another case for m2): all their lines, the
    // rejection in m1's session, and the refused RCPT TO:<bob> of another client.
    EXPECT_EQ(trace("bob@example.net"), (std::vector<std::string>{
                                            "rejectlog: " + kRejectLog[1],
                                            "mainlog: " + kMainLog[0],
                                            "mainlog: " + kMainLog[1],
                                            "mainlog: " + kMainLog[2],
                                            "rejectlog: " + kRejectLog[3],  // the same instant
                                            "mainlog: " + kMainLog[3],
                                            "mainlog: " + kMainLog[4],
                                            "mainlog: " + kMainLog[5],
                                            "mainlog: " + kMainLog[7],
                                            "mainlog: " + kMainLog[8],
                                        }));
}

TEST(Trace, ASenderFindsItsMessagesAndItsRefusedMailFrom) {
    auto lines = trace("alice@example.com");
    auto count = [&](const std::string& s) { return std::count(lines.begin(), lines.end(), s); };
    EXPECT_EQ(count("mainlog: " + kMainLog[0]), 1);
    EXPECT_EQ(count("mainlog: " + kMainLog[8]), 1);
    EXPECT_EQ(count("rejectlog: " + kRejectLog[2]), 1);
    // m3 bounced to alice: she is its recipient.
    EXPECT_EQ(count("mainlog: " + kMainLog[10]), 1);
    EXPECT_EQ(count("mainlog: " + kMainLog[2]), 0);
    EXPECT_EQ(count("rejectlog: " + kRejectLog[0]), 0);  // too long before the arrival
}

TEST(Trace, AClientIpFindsItsMessagesAndAllItsRejections) {
    auto lines = trace("198.51.100.2");
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "mainlog: " + kMainLog[2],
                         "mainlog: " + kMainLog[3],
                         "mainlog: " + kMainLog[5],
                         "rejectlog: " + kRejectLog[4],
                     }));
}

TEST(Trace, TheNullSenderIsAQuery) {
    auto lines = trace("<>");
    EXPECT_EQ(lines,
              (std::vector<std::string>{"mainlog: " + kMainLog[9], "mainlog: " + kMainLog[10]}));
}

TEST(Trace, FollowsAFailedMessageToItsBounce) {
    const std::vector<std::string> main = {
        log_ts(1) + " f1 <= carol@example.com [192.0.2.1] R=1",
        log_ts(2) + " f1 ** gone@example.net T=mx \"550 no\"",
        log_ts(2) + " d1 <= <> P=local R=1",
        log_ts(2) + " f1 bounce d1 queued for <carol@example.com>",
        log_ts(2) + " f1 Completed",
        log_ts(3) + " d1 => carol@example.com T=mx C=\"250 ok\"",
        log_ts(3) + " d1 Completed",
        log_ts(4) + " f2 bounce not queued: disk full",
    };
    auto lines = trace("gone@example.net", main, {});
    ASSERT_EQ(lines.size(), 7u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[2], "mainlog: " + main[2]);
    EXPECT_EQ(lines[6], "mainlog: " + main[6]);
}

TEST(Trace, KeepsNotesThatBeginWithTheMessageId) {
    const std::vector<std::string> main = {
        log_ts(1) + " - p1 preflight dmarc=fail",
        log_ts(1) + " p1 <= a@example.com [192.0.2.1] R=1",
        log_ts(1) + " - herald stopping",
        log_ts(2) + " - p2 preflight dmarc=pass",
    };
    EXPECT_EQ(trace("p1", main, {}),
              (std::vector<std::string>{"mainlog: " + main[0], "mainlog: " + main[1]}));
    EXPECT_EQ(trace("a@example.com", main, {}),
              (std::vector<std::string>{"mainlog: " + main[0], "mainlog: " + main[1]}));
}

TEST(Trace, NothingMatchesAnUnknownQuery) {
    EXPECT_TRUE(trace("nobody@nowhere.example").empty());
    EXPECT_TRUE(trace("no-such-id").empty());
    EXPECT_TRUE(trace("-").empty());  // the id of lines about no message
}

TEST(Trace, FindsOneMessageAmongAHundredThousandLines) {
    TempLogDir dir;
    auto log = generate_log(20000);
    write_gzip_lines(dir / "mainlog.1.gz", log.lines, 0, 50000);
    write_lines(dir / "mainlog", log.lines, 50000);
    auto query = TraceQuery::parse(generated_id(12345));
    ASSERT_TRUE(query);
    Trace trace(*query);
    {
        LogReader reader(log_generations(dir / "mainlog"));
        while (auto line = reader.next()) trace.find(*line);
    }
    LogReader reader(log_generations(dir / "mainlog"));
    while (auto line = reader.next()) trace.collect(*line);
    auto lines = trace.lines();
    EXPECT_EQ(trace.messages(), 1u);
    ASSERT_EQ(lines.size(), 4u);  // arrival, two outcomes, Completed
    EXPECT_EQ(lines[0].line, log.lines[12345 * 5]);
    EXPECT_EQ(lines[3].line, log.lines[12345 * 5 + 3]);

    auto by_recipient = TraceQuery::parse("other777@example.org");
    Trace recipient_trace(*by_recipient);
    LogReader again(log_generations(dir / "mainlog"));
    while (auto line = again.next()) recipient_trace.find(*line);
    EXPECT_EQ(recipient_trace.messages(), 1u);
}

}  // namespace
}  // namespace herald::log
