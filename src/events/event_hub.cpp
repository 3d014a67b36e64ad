#include "events/event_hub.hpp"

#include "events/suppression_text.hpp"
#include "message/envelope.hpp"

namespace herald::events {

void EventHub::add(std::unique_ptr<EventSink> sink, const std::vector<std::string>& types) {
    Route route{std::move(sink), {}};
    if (types.empty()) route.types.set();
    for (const auto& name : types) {
        if (auto type = parse_event_type(name)) route.types.set(static_cast<std::size_t>(*type));
    }
    routes_.push_back(std::move(route));
}

void EventHub::emit(const Event& event) const {
    for (const auto& watcher : watchers_) watcher(event);
    std::string json;
    for (const auto& route : routes_) {
        if (!route.types.test(static_cast<std::size_t>(event.type))) continue;
        if (json.empty()) json = to_json(event);
        route.sink->take(event, json);
    }
}

void EventHub::observe(const log::MainLogEvent& line) const {
    if (routes_.empty() && watchers_.empty()) return;
    for (const auto& event : events_of_line(line)) emit(event);
}

Status EventHub::rotate(std::size_t keep) const {
    Status first = ok_status();
    for (const auto& route : routes_) {
        auto rotated = route.sink->rotate(keep);
        if (!rotated && first) first = rotated;
    }
    return first;
}

namespace {

using Kind = log::MainLogEvent::Kind;

std::optional<EventType> type_of(const log::MainLogEvent& line) {
    switch (line.kind) {
        case Kind::arrival:
            return EventType::received;
        case Kind::delivered:
            return EventType::delivered;
        case Kind::deferred:
            return EventType::deferred;
        case Kind::failed:
            return line.context.category == "message-expired" ? EventType::expired
                                                              : EventType::bounced;
        case Kind::suppressed:
            return EventType::suppressed;
        case Kind::admin:
            return EventType::admin;
        default:
            return std::nullopt;
    }
}

Event event_for(EventType type, const log::MainLogEvent& line, std::string_view recipient) {
    Event event = Event::now(type);
    event.queue_id = line.id;
    event.recipient = recipient;
    event.message_id = line.context.message_id;
    if (const auto* envelope = line.envelope) {
        event.sender = envelope->sender;
        event.user = envelope->auth_user;
    }
    event.transport = line.transport;
    event.remote_host = line.host;
    if (type == EventType::suppressed) {
        event.transport.clear();
        if (auto told = parse_suppression_text(line.text)) {
            event.since = std::move(told->since);
            event.reason = std::move(told->reason);
        } else {
            event.reason = line.text;
        }
    } else if (type != EventType::received && type != EventType::admin) {
        event.reply = line.text;
    }
    if (type == EventType::admin) {
        event.action = line.action;
        event.reason = line.text;
    }
    event.category = line.context.category;
    event.cause = line.context.cause;
    event.attempt = line.context.attempt;
    return event;
}

}  // namespace

std::vector<Event> events_of_line(const log::MainLogEvent& line) {
    std::vector<Event> events;
    const auto type = type_of(line);
    if (!type) return events;
    if (*type == EventType::received || *type == EventType::admin) {
        if (!line.envelope) return events;
        for (const auto& recipient : line.envelope->recipients) {
            events.push_back(event_for(*type, line, recipient));
        }
        return events;
    }
    events.push_back(event_for(*type, line, line.recipient));
    return events;
}

}  // namespace herald::events
