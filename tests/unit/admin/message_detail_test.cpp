// A queued message as the console's detail page gets it: read from a real spool, with its
// header section, each recipient's last reply and the log trail.
#include "admin/message_detail.hpp"

#include <gtest/gtest.h>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

TEST(HeaderSection, EndsAtTheFirstEmptyLine) {
    EXPECT_EQ(header_section("Subject: a\r\nTo: b\r\n\r\nbody\r\n\r\n"), "Subject: a\r\nTo: b\r\n");
    EXPECT_EQ(header_section("Subject: a\n\nbody"), "Subject: a\n");
    EXPECT_EQ(header_section("Subject: only headers\r\n"), "Subject: only headers\r\n");
    EXPECT_EQ(header_section("\r\nbody"), "");
}

TEST(MessageDetail, IsReadFromTheSpool) {
    TestSpool spool;
    const std::string id = spool.store("ann@example.com", {"bob@example.net", "cy@example.org"});
    auto detail = read_message_detail(spool.spool(), id);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->entry.message.id, id);
    EXPECT_EQ(detail->headers, "Subject: test\r\n");
    EXPECT_FALSE(detail->headers_truncated);
    EXPECT_EQ(detail->entry.pending.size(), 2u);
    EXPECT_FALSE(read_message_detail(spool.spool(), "0abc123def4560001xyz"));
}

TEST(MessageDetail, GivesEachRecipientItsLatestReplyAndTheTrail) {
    TestSpool spool;
    const std::string id = spool.store("ann@example.com", {"bob@example.net", "cy@example.org"});
    auto detail = read_message_detail(spool.spool(), id);
    ASSERT_TRUE(detail);
    auto newer = events::Event::now(events::EventType::deferred);
    newer.queue_id = id;
    newer.recipient = "bob@example.net";
    newer.reply = "451 4.7.1 try later";
    newer.remote_host = "mx.example.net [192.0.2.1]";
    auto older = newer;
    older.reply = "421 too busy";
    log::TraceScan trail{.lines = {{"2026-12-03 09:00:00", "mainlog", id + " <= ann@example.com"}},
                         .found = true};
    auto json =
        message_detail_json(*detail, trail, {newer, older}, std::chrono::system_clock::now());
    EXPECT_EQ(json.at("id").as_string(), id);
    EXPECT_EQ(json.at("sender").as_string(), "ann@example.com");
    EXPECT_EQ(json.at("headers").as_string(), "Subject: test\r\n");
    EXPECT_EQ(json.at("envelope").at("protocol").as_string(), "esmtp");
    const auto& recipients = json.at("recipients").as_array();
    ASSERT_EQ(recipients.size(), 2u);
    EXPECT_EQ(recipients[0].at("state").as_string(), "pending");
    EXPECT_EQ(recipients[0].at("last_reply").as_string(), "451 4.7.1 try later");
    EXPECT_EQ(recipients[0].at("remote_host").as_string(), "mx.example.net [192.0.2.1]");
    EXPECT_EQ(recipients[1].at("last_reply").as_string(), "");
    ASSERT_EQ(json.at("trail").as_array().size(), 1u);
    EXPECT_EQ(json.at("trail").as_array()[0].at("log").as_string(), "mainlog");
    EXPECT_EQ(json.at("events").as_array().size(), 2u);
}

}  // namespace
}  // namespace herald::admin
