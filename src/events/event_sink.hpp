#pragma once
// Where events go: one small interface, as delivery::Transport is for messages. A sink is
// handed each event it asked for, already written as one line of JSON, on whatever thread
// made the event (the event loop or the blocking pool): take() must be thread-safe and
// quick (a write, never a network wait).
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "events/event.hpp"

namespace herald::events {

class EventSink {
  public:
    virtual ~EventSink() = default;
    virtual std::string_view name() const = 0;
    virtual void take(const Event& event, std::string_view json) = 0;
    // Log rotation: a sink with a file of its own shifts its generations (as the mainlog's,
    // keeping `keep`) and starts a new one.
    virtual Status rotate(std::size_t /*keep*/) { return ok_status(); }
};

}  // namespace herald::events
