#include "log/main_log.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "log/log_line.hpp"
#include "log_test_support.hpp"

namespace herald::log {
namespace {

constexpr std::string_view kId = "0abc123def4560001xyz";

message::Envelope arrival_envelope() {
    message::Envelope env;
    env.sender = "alice@example.com";
    env.recipients = {"bob@example.net", "carol@example.org"};
    env.helo = "client.example.com";
    env.client_ip = "192.0.2.7";
    env.protocol = "esmtpsa";
    env.auth_user = "alice";
    return env;
}

class MainLogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = MainLog::open(dir_ / "log" / "mainlog");
        ASSERT_TRUE(opened) << opened.error();
        log_ = std::move(*opened);
    }
    std::vector<std::string> lines() { return lines_of(dir_ / "log" / "mainlog"); }
    std::string only_line() {
        auto all = lines();
        EXPECT_EQ(all.size(), 1u);
        return all.empty() ? "" : after_timestamp(all[0]);
    }

    TempLogDir dir_;
    std::unique_ptr<MainLog> log_;
};

TEST_F(MainLogTest, ArrivalLineHasTheExpectedFields) {
    log_->arrival(kId, arrival_envelope(), 1234, "Quarterly report");
    EXPECT_EQ(only_line(),
              "0abc123def4560001xyz <= alice@example.com H=client.example.com [192.0.2.7] "
              "P=esmtpsa S=1234 A=alice R=2 T=\"Quarterly report\"");
}

TEST_F(MainLogTest, ArrivalLeavesOutAbsentFieldsAndShowsTheNullSender) {
    message::Envelope env;
    env.recipients = {"x@example.net"};
    env.protocol = "local";
    log_->arrival(kId, env, 10, "");
    EXPECT_EQ(only_line(), "0abc123def4560001xyz <= <> P=local S=10 R=1");
}

TEST_F(MainLogTest, DeliveryLinesHaveTheExpectedFormat) {
    log_->delivered(kId, "bob@example.net", "mx", "mx1.example.net", "250 2.0.0 Ok: queued");
    auto next = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764000000123));
    log_->deferred(kId, "bob@example.net", "mx", "mx1.example.net", "451 4.7.1 try later", next);
    log_->failed(kId, "bob@example.net", "mx", "", "550 5.1.1 no such user");
    log_->completed(kId);
    log_->event(kId, "held by administrator");
    log_->note("herald started");
    auto all = lines();
    ASSERT_EQ(all.size(), 6u);
    EXPECT_EQ(after_timestamp(all[0]),
              "0abc123def4560001xyz => bob@example.net T=mx H=mx1.example.net "
              "C=\"250 2.0.0 Ok: queued\"");
    EXPECT_EQ(after_timestamp(all[1]),
              "0abc123def4560001xyz == bob@example.net T=mx H=mx1.example.net "
              "defer=\"451 4.7.1 try later\" next=2025-11-24T16:00:00.123Z");
    EXPECT_EQ(after_timestamp(all[2]),
              "0abc123def4560001xyz ** bob@example.net T=mx \"550 5.1.1 no such user\"");
    EXPECT_EQ(after_timestamp(all[3]), "0abc123def4560001xyz Completed");
    EXPECT_EQ(after_timestamp(all[4]), "0abc123def4560001xyz held by administrator");
    EXPECT_EQ(after_timestamp(all[5]), "- herald started");
}

TEST_F(MainLogTest, EveryLineParsesBackToWhatWasLogged) {
    log_->arrival(kId, arrival_envelope(), 99, "Hi");
    log_->delivered(kId, "bob@example.net", "mx", "mx1.example.net", "250 ok");
    log_->failed(kId, "carol@example.org", "relay", "smart.example.net", "550 no");
    log_->completed(kId);
    log_->note("herald stopping");
    auto all = lines();
    ASSERT_EQ(all.size(), 5u);

    auto arrival = parse_main_log_line(all[0]);
    ASSERT_TRUE(arrival);
    EXPECT_EQ(arrival->ts.size(), 24u);
    EXPECT_EQ(arrival->id, kId);
    EXPECT_EQ(arrival->mark, "<=");
    EXPECT_EQ(arrival->address, "alice@example.com");
    EXPECT_EQ(*arrival->field("H"), "client.example.com");
    EXPECT_EQ(*arrival->field("ip"), "192.0.2.7");
    EXPECT_EQ(*arrival->field("S"), "99");
    EXPECT_EQ(*arrival->field("R"), "2");
    EXPECT_EQ(*arrival->field("T"), "Hi");
    EXPECT_EQ(arrival->field("C"), nullptr);

    auto delivered = parse_main_log_line(all[1]);
    ASSERT_TRUE(delivered);
    EXPECT_EQ(delivered->mark, "=>");
    EXPECT_EQ(delivered->address, "bob@example.net");
    EXPECT_EQ(*delivered->field("C"), "250 ok");

    auto failed = parse_main_log_line(all[2]);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->mark, "**");
    EXPECT_EQ(*failed->field("T"), "relay");
    EXPECT_EQ(failed->text, "550 no");

    auto completed = parse_main_log_line(all[3]);
    ASSERT_TRUE(completed);
    EXPECT_EQ(completed->mark, "");
    EXPECT_EQ(completed->text, "Completed");

    auto note = parse_main_log_line(all[4]);
    ASSERT_TRUE(note);
    EXPECT_EQ(note->id, "");
    EXPECT_EQ(note->text, "herald stopping");
}

TEST_F(MainLogTest, HostileValuesStayOnOneLineAndRoundTrip) {
    message::Envelope env = arrival_envelope();
    env.sender = "evil@x\n2026-01-01T00:00:00.000Z forged <= ceo@example.com";
    env.helo = "helo \"with\" quotes T=fake";
    env.client_ip = "1.2.3.4] [5.6.7.8";
    const std::string subject = "\r\nSubject: \x1b[31mred\x07 \\ \"q\" \xe2\x80\xa8 \xff";
    log_->arrival(kId, env, 1, subject);
    const std::string reply = "250 ok\r\n2026-01-01T00:00:00.000Z x => y";
    log_->delivered(kId, "<>", "mx T=other", "h H=x", reply);
    log_->event(kId, "=> forged@example.com T=mx");

    auto all = lines();
    ASSERT_EQ(all.size(), 3u);
    auto arrival = parse_main_log_line(all[0]);
    ASSERT_TRUE(arrival) << all[0];
    EXPECT_EQ(arrival->address, env.sender);
    EXPECT_EQ(*arrival->field("H"), env.helo);
    EXPECT_EQ(*arrival->field("ip"), env.client_ip);
    EXPECT_EQ(*arrival->field("T"), subject);
    EXPECT_EQ(arrival->fields.size(), 7u);  // H ip P S A R T: no forged field

    auto delivered = parse_main_log_line(all[1]);
    ASSERT_TRUE(delivered) << all[1];
    EXPECT_EQ(delivered->address, "<>");
    EXPECT_EQ(*delivered->field("T"), "mx T=other");
    EXPECT_EQ(*delivered->field("H"), "h H=x");
    EXPECT_EQ(*delivered->field("C"), reply);

    auto event = parse_main_log_line(all[2]);
    ASSERT_TRUE(event) << all[2];
    EXPECT_EQ(event->mark, "");
    EXPECT_EQ(event->text, "=> forged@example.com T=mx");
}

TEST_F(MainLogTest, ConcurrentWritersNeverInterleaveLines) {
    constexpr int kThreads = 8, kEach = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::string long_reply(300 + t * 50, static_cast<char>('a' + t));
            for (int i = 0; i < kEach; ++i) {
                log_->delivered(kId, "r" + std::to_string(t) + "@x", "mx", "h", long_reply);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    auto all = lines();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
    for (const auto& line : all) {
        auto parsed = parse_main_log_line(line);
        ASSERT_TRUE(parsed) << line;
        char expected = static_cast<char>('a' + (parsed->address[1] - '0'));
        ASSERT_EQ(*parsed->field("C"),
                  std::string(300 + (parsed->address[1] - '0') * 50, expected));
    }
}

TEST_F(MainLogTest, ReopenStartsAFreshFileAfterRotation) {
    log_->note("before rotation");
    std::filesystem::rename(dir_ / "log" / "mainlog", dir_ / "log" / "mainlog.1");
    log_->note("still the old file");
    ASSERT_TRUE(log_->reopen());
    log_->note("after rotation");
    auto old_lines = lines_of(dir_ / "log" / "mainlog.1");
    ASSERT_EQ(old_lines.size(), 2u);
    EXPECT_EQ(after_timestamp(old_lines[1]), "- still the old file");
    EXPECT_EQ(only_line(), "- after rotation");
}

TEST(MainLogOpen, AnUnwritablePathIsAnError) {
    TempLogDir dir;
    std::ofstream(dir / "file") << "x";
    auto opened = MainLog::open(dir / "file" / "mainlog");
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().find("file"), std::string::npos);
}

}  // namespace
}  // namespace herald::log
