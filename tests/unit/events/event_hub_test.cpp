#include "events/event_hub.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "events/webhook_sink.hpp"
#include "message/envelope.hpp"

namespace herald::events {
namespace {

class Collector final : public EventSink {
  public:
    std::string_view name() const override { return "collector"; }
    void take(const Event& event, std::string_view json) override {
        events.push_back(event);
        lines.emplace_back(json);
    }
    std::vector<Event> events;
    std::vector<std::string> lines;
};

message::Envelope envelope() {
    message::Envelope e;
    e.sender = "app@example.com";
    e.recipients = {"bob@example.net", "carol@example.org"};
    e.auth_user = "api:shop";
    return e;
}

TEST(EventsOfLine, AnArrivalIsOneReceivedEventPerRecipient) {
    const auto e = envelope();
    log::MainLogEvent line{.kind = log::MainLogEvent::Kind::arrival,
                           .id = "q1",
                           .envelope = &e,
                           .context = {.envelope = &e, .message_id = "<m@example.com>"}};
    const auto events = events_of_line(line);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, EventType::received);
    EXPECT_EQ(events[0].recipient, "bob@example.net");
    EXPECT_EQ(events[1].recipient, "carol@example.org");
    EXPECT_EQ(events[0].message_id, "<m@example.com>");
    EXPECT_EQ(events[0].user, "api:shop");
    EXPECT_NE(events[0].id, events[1].id);
}

TEST(EventsOfLine, AFailureIsABounceWithItsCategoryAndAnExpiryIsExpired) {
    const auto e = envelope();
    log::MainLogEvent line{
        .kind = log::MainLogEvent::Kind::failed,
        .id = "q1",
        .recipient = "bob@example.net",
        .transport = "mx",
        .host = "mx.example.net [192.0.2.1]",
        .text = "550 5.1.1 no such user",
        .envelope = &e,
        .context = {.envelope = &e, .attempt = 2, .category = "invalid-recipient"}};
    auto events = events_of_line(line);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, EventType::bounced);
    EXPECT_EQ(events[0].category, "invalid-recipient");
    EXPECT_EQ(events[0].attempt, 2u);
    EXPECT_EQ(events[0].reply, "550 5.1.1 no such user");
    EXPECT_EQ(events[0].remote_host, "mx.example.net [192.0.2.1]");
    line.context.category = "message-expired";
    EXPECT_EQ(events_of_line(line)[0].type, EventType::expired);
}

TEST(EventsOfLine, NotesAndCompletionsAreNoEvents) {
    EXPECT_TRUE(events_of_line({.kind = log::MainLogEvent::Kind::note, .text = "x"}).empty());
    EXPECT_TRUE(events_of_line({.kind = log::MainLogEvent::Kind::completed, .id = "q"}).empty());
}

TEST(EventHub, GivesEachSinkTheTypesItAskedFor) {
    EventHub hub;
    auto all = std::make_unique<Collector>();
    auto bounces = std::make_unique<Collector>();
    auto* all_seen = all.get();
    auto* bounces_seen = bounces.get();
    hub.add(std::move(all));
    hub.add(std::move(bounces), {"bounced"});
    std::size_t watched = 0;
    hub.watch([&watched](const Event&) { ++watched; });
    hub.emit(Event::now(EventType::delivered));
    hub.emit(Event::now(EventType::bounced));
    EXPECT_EQ(all_seen->events.size(), 2u);
    ASSERT_EQ(bounces_seen->events.size(), 1u);
    EXPECT_EQ(bounces_seen->events[0].type, EventType::bounced);
    EXPECT_EQ(watched, 2u);
}

TEST(EventJson, LeavesOutWhatIsEmptyAndKeepsTheNullSender) {
    Event event = Event::now(EventType::bounced);
    event.queue_id = "q1";
    event.recipient = "bob@example.net";
    event.sender = "";
    event.reply = "550 \xff bad byte";
    const auto parsed = boost::json::parse(to_json(event)).as_object();
    EXPECT_EQ(parsed.at("type").as_string(), "bounced");
    EXPECT_EQ(parsed.at("sender").as_string(), "");
    EXPECT_FALSE(parsed.contains("transport"));
    EXPECT_FALSE(parsed.contains("attempt"));
    EXPECT_EQ(parsed.at("reply").as_string(), "550 \xef\xbf\xbd bad byte");
    EXPECT_EQ(parsed.at("id").as_string().size(), 20u);
    EXPECT_TRUE(parsed.at("time").as_string().ends_with("Z"));
}

TEST(WebhookSignature, IsTheHmacOfTimeAndBody) {
    // The value from Python's hmac module, as a receiver computes it:
    // hmac.new(b"Jefe", b"0.hat do ya want for nothing?", hashlib.sha256).hexdigest()
    const auto signature = WebhookSink::signature("Jefe", "hat do ya want for nothing?", 0);
    EXPECT_EQ(signature, "t=0,v1=a0c160e99d27a584a8b696300b2af4430b588247ecc4a8c5da30b8d40e6a51e6");
    EXPECT_NE(WebhookSink::signature("Jefe", "other body", 0), signature);
    EXPECT_NE(WebhookSink::signature("Jefe", "hat do ya want for nothing?", 1), signature);
}

}  // namespace
}  // namespace herald::events
