#include "admin/queue_listing.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

using namespace std::chrono_literals;

TEST(QueueListing, ListsEveryMessageOldestFirstWithItsPendingRecipients) {
    TestSpool t;
    auto first = t.store("a@example.com", {"x@example.net", "y@example.net"}, 120s);
    auto second = t.store("b@example.com", {"z@example.net"}, 60s);
    ASSERT_TRUE(t.spool().mark_recipients(first, {{0, spool::RecipientState::delivered}}));
    auto listing = read_queue(t.spool());
    ASSERT_EQ(listing.entries.size(), 2u);
    EXPECT_EQ(listing.total, 2u);
    EXPECT_EQ(listing.entries[0].message.id, first);
    EXPECT_EQ(listing.entries[1].message.id, second);
    EXPECT_EQ(listing.entries[0].pending, std::vector<std::string>{"y@example.net"});
}

TEST(QueueListing, StopsAtTheLimitButCountsEverything) {
    TestSpool t;
    auto oldest = t.store("a@example.com", {"x@example.net"});
    t.store("b@example.com", {"x@example.net"});
    t.store("c@example.com", {"x@example.net"});
    auto listing = read_queue(t.spool(), 1);
    ASSERT_EQ(listing.entries.size(), 1u);
    EXPECT_EQ(listing.entries[0].message.id, oldest);
    EXPECT_EQ(listing.total, 3u);
}

TEST(QueueListing, JsonHasTheFieldsOfQueueListJson) {
    TestSpool t;
    auto id = t.store("a@example.com", {"x@example.net"}, 90s);
    ASSERT_TRUE(t.spool().set_held(id, true));
    auto json = queue_json(read_queue(t.spool()).entries, std::chrono::system_clock::now());
    ASSERT_EQ(json.size(), 1u);
    const auto& e = json[0].as_object();
    EXPECT_EQ(e.at("id").as_string(), id);
    EXPECT_EQ(e.at("sender").as_string(), "a@example.com");
    EXPECT_EQ(e.at("held").as_bool(), true);
    EXPECT_EQ(e.at("next_attempt").as_string(), "held");
    EXPECT_EQ(e.at("pending").to_number<std::uint64_t>(), 1u);
    EXPECT_GE(e.at("age_seconds").to_number<std::int64_t>(), 89);
    EXPECT_EQ(e.at("attempts").to_number<std::int64_t>(), 0);
    EXPECT_EQ(e.at("recipients").as_array()[0].as_object().at("state").as_string(), "pending");
    for (const char* key : {"arrival", "size", "last_error"}) EXPECT_TRUE(e.contains(key)) << key;
}

TEST(QueueListing, NextAttemptIsNowBeforeTheFirstTry) {
    TestSpool t;
    t.store("a@example.com", {"x@example.net"});
    EXPECT_EQ(next_attempt_text(read_queue(t.spool()).entries.at(0)), "now");
}

TEST(QueueListing, AFilteredPageCountsEveryMatchAndItsRecipientsAndBytes) {
    TestSpool t;
    auto first = t.store("a@example.com", {"x@example.net", "y@example.org"}, 300s);
    t.store("b@example.com", {"x@example.org"}, 200s);
    auto third = t.store("c@example.com", {"z@example.net"}, 100s);
    auto fourth = t.store("d@example.com", {"w@example.net"}, 50s);
    QueueQuery query{.limit = 2, .totals = true};
    query.filter.domain = "example.net";
    const auto now = std::chrono::system_clock::now();
    auto listing = read_queue(t.spool(), query, now);
    EXPECT_EQ(listing.total, 4u);
    EXPECT_EQ(listing.matching, 3u);
    EXPECT_EQ(listing.pending_recipients, 4u);  // every pending recipient of a match
    EXPECT_GT(listing.bytes, 0u);
    ASSERT_EQ(listing.entries.size(), 2u);
    EXPECT_EQ(listing.entries[0].message.id, first);
    EXPECT_EQ(listing.entries[1].message.id, third);
    query.offset = 2;
    listing = read_queue(t.spool(), query, now);
    ASSERT_EQ(listing.entries.size(), 1u);
    EXPECT_EQ(listing.entries[0].message.id, fourth);
    query.offset = 9;
    EXPECT_TRUE(read_queue(t.spool(), query, now).entries.empty());
}

TEST(QueueListing, WithoutAFilterOrTotalsOnlyThePageIsRead) {
    TestSpool t;
    t.store("a@example.com", {"x@example.net"}, 30s);
    auto second = t.store("b@example.com", {"x@example.net"}, 20s);
    t.store("c@example.com", {"x@example.net"}, 10s);
    auto listing = read_queue(t.spool(), QueueQuery{.offset = 1, .limit = 1},
                              std::chrono::system_clock::now());
    EXPECT_EQ(listing.matching, 3u);
    EXPECT_EQ(listing.pending_recipients, 0u);  // not counted: nobody asked
    ASSERT_EQ(listing.entries.size(), 1u);
    EXPECT_EQ(listing.entries[0].message.id, second);
}

}  // namespace
}  // namespace herald::admin
