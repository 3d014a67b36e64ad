// The events the console shows: the latest kept, bounded, found by message and type.
#include "admin/recent_events.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace herald::admin {
namespace {

events::Event event(events::EventType type, std::string queue_id, std::string recipient = "") {
    events::Event e = events::Event::now(type);
    e.queue_id = std::move(queue_id);
    e.recipient = std::move(recipient);
    return e;
}

constexpr std::string_view kId = "0abc123def4560001xyz";

TEST(RecentEvents, FindsAMessagesEventsNewestFirst) {
    RecentEvents recent;
    recent.add(event(events::EventType::received, std::string(kId), "a@example.net"));
    recent.add(event(events::EventType::delivered, "0abc123def4560002xyz", "b@example.net"));
    recent.add(event(events::EventType::deferred, std::string(kId), "a@example.net"));
    auto found = recent.find({.queue_id = std::string(kId)});
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].type, events::EventType::deferred);
    EXPECT_EQ(found[1].type, events::EventType::received);
}

TEST(RecentEvents, FindsByTypeUpToTheLimit) {
    RecentEvents recent;
    for (int i = 0; i < 5; ++i) recent.add(event(events::EventType::bounced, "x"));
    recent.add(event(events::EventType::delivered, "x"));
    EXPECT_EQ(recent.find({.types = {events::EventType::bounced}, .limit = 3}).size(), 3u);
    EXPECT_EQ(
        recent.find({.types = {events::EventType::bounced, events::EventType::delivered}}).size(),
        6u);
}

TEST(RecentEvents, KeepsOnlyTheLatest) {
    RecentEvents recent;
    for (std::size_t i = 0; i < RecentEvents::kKept + 10; ++i) {
        recent.add(event(events::EventType::received, "x", std::to_string(i)));
    }
    auto all = recent.find({.limit = RecentEvents::kKept * 2});
    ASSERT_EQ(all.size(), RecentEvents::kKept);
    EXPECT_EQ(all.front().recipient, std::to_string(RecentEvents::kKept + 9));
    EXPECT_EQ(all.back().recipient, "10");
}

TEST(RecentEvents, AreGivenAsTheirSinksWriteThem) {
    auto e = event(events::EventType::bounced, std::string(kId), "a@example.net");
    e.reply = "550 5.1.1 no such user";
    auto json = events_json({e});
    ASSERT_EQ(json.size(), 1u);
    EXPECT_EQ(json[0], boost::json::parse(events::to_json(e)));
    EXPECT_EQ(json[0].at("type").as_string(), "bounced");
}

std::variant<EventFilter, HttpResponse> request(std::string_view query) {
    return event_filter_request(*QueryString::parse(query));
}

TEST(EventFilterRequest, ReadsTypesMessageAndLimit) {
    auto filter = std::get<EventFilter>(
        request("type=bounced,expired&queue_id=0abc123def4560001xyz&limit=5"));
    EXPECT_EQ(filter.types, (std::vector{events::EventType::bounced, events::EventType::expired}));
    EXPECT_EQ(filter.queue_id, kId);
    EXPECT_EQ(filter.limit, 5u);
    auto defaults = std::get<EventFilter>(request(""));
    EXPECT_TRUE(defaults.types.empty());
    EXPECT_EQ(defaults.limit, 100u);
}

TEST(EventFilterRequest, RefusesWhatItCannotRead) {
    for (auto query : {"type=bounce", "type=bounced,,x", "queue_id=../../etc", "limit=0",
                       "limit=1001", "limit=ten"}) {
        auto result = request(query);
        ASSERT_TRUE(std::holds_alternative<HttpResponse>(result)) << query;
        EXPECT_EQ(std::get<HttpResponse>(result).status, 400u) << query;
    }
}

}  // namespace
}  // namespace herald::admin
