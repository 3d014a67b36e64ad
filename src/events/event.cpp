#include "events/event.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "base/timestamp.hpp"
#include "base/utf8.hpp"
#include "spool/message_id.hpp"

namespace herald::events {

Event Event::now(EventType type) {
    Event event;
    event.id = spool::new_message_id();
    event.type = type;
    event.time = std::chrono::system_clock::now();
    return event;
}

std::string to_json(const Event& event) {
    boost::json::object o;
    const auto text = [&o](std::string_view key, const std::string& value) {
        if (!value.empty()) o[key] = valid_utf8_or_replaced(value);
    };
    o["id"] = event.id;
    o["type"] = type_name(event.type);
    o["time"] = iso8601_utc(event.time);
    text("queue_id", event.queue_id);
    text("recipient", event.recipient);
    text("message_id", event.message_id);
    if (event.sender) o["sender"] = valid_utf8_or_replaced(*event.sender);
    text("user", event.user);
    text("transport", event.transport);
    text("remote_host", event.remote_host);
    text("reply", event.reply);
    text("category", event.category);
    if (event.attempt > 0) o["attempt"] = event.attempt;
    if (event.async) o["async"] = true;
    text("action", event.action);
    text("reason", event.reason);
    text("since", event.since);
    text("feedback_type", event.feedback_type);
    text("list", event.list);
    text("domain", event.domain);
    text("cause", event.cause);
    text("explanation", event.explanation);
    if (!event.rules.empty()) {
        boost::json::array rules;
        for (const auto& rule : event.rules) rules.push_back(boost::json::string(rule));
        o["rules"] = std::move(rules);
    }
    return boost::json::serialize(o);
}

}  // namespace herald::events
