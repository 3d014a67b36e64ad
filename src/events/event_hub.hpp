#pragma once
// Where every event goes out: each to the sinks that asked for its type, written to JSON
// once. The mainlog's observer feeds it (events_of_line), so a mainlog line and its events
// come from one call and never disagree; what has no mainlog line of its own (a complaint,
// an asynchronous bounce, a suppression) is emitted directly.
#include <bitset>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "events/event.hpp"
#include "events/event_sink.hpp"
#include "log/main_log.hpp"

namespace herald::events {

class EventHub {
  public:
    // Adds a sink for `types` (names from event_type.hpp; empty: every type). Before the
    // hub is shared between threads.
    void add(std::unique_ptr<EventSink> sink, const std::vector<std::string>& types = {});
    // Reacts to every event (metrics, automatic suppression), on the emitting thread.
    using Watcher = std::function<void(const Event&)>;
    void watch(Watcher watcher) { watchers_.push_back(std::move(watcher)); }

    void emit(const Event& event) const;
    // The events of one mainlog line, emitted.
    void observe(const log::MainLogEvent& line) const;

    // Log rotation: each sink with a file rotates it; the first trouble, if any.
    Status rotate(std::size_t keep) const;

  private:
    struct Route {
        std::unique_ptr<EventSink> sink;
        std::bitset<kEventTypeNames.size()> types;
    };
    std::vector<Route> routes_;
    std::vector<Watcher> watchers_;
};

// The events a mainlog line stands for: one per recipient (arrival: every recipient of the
// envelope; admin: each recipient still pending is not known here, so every one of the
// envelope). A failed line whose category is message-expired is an `expired` event.
std::vector<Event> events_of_line(const log::MainLogEvent& line);

}  // namespace herald::events
