#pragma once
// One event: one thing that happened to one recipient of one message (docs/events.md). The
// JSON form is the contract with the application; its fields are fixed there.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "events/event_type.hpp"

namespace herald::events {

struct Event {
    std::string id;  // unique and sortable by time: a new queue-id-shaped id
    EventType type = EventType::received;
    std::chrono::system_clock::time_point time;
    std::string queue_id;
    std::string recipient;
    std::string message_id;
    std::optional<std::string> sender;  // "" is the null sender; nullopt: not known
    std::string user;
    std::string transport;
    std::string remote_host;
    std::string reply;
    std::string category;
    unsigned attempt = 0;  // 0: not a delivery attempt
    bool async = false;
    std::string action;
    std::string reason;
    std::string since;  // suppressed: the day the list entry was made
    std::string feedback_type;
    std::string list;
    std::string domain;       // unsubscribed: the sender domain whose list the recipient left
    std::string cause;        // deferred, bounced, explained: what the reply says is wrong
    std::string explanation;  // explained: the doctor's checks now, and the fix
    std::vector<std::string> rules;  // compliance: the bulk-sender rules the message breaks

    // A new event of `type` now, with a fresh id.
    static Event now(EventType type);
};

// One line of JSON, fields with nothing to say left out. Never throws for any content:
// text that is not UTF-8 is written with U+FFFD in place of the bad bytes.
std::string to_json(const Event& event);

}  // namespace herald::events
