#pragma once
// The last events in memory, for the console: a message's own events on its detail page, and
// the recent bounces. A fixed ring of kKept events (the oldest dropped first), so memory stays
// bounded whatever the traffic; the durable record is the event sinks' (docs/events.md).
// Fed by an EventHub watcher on whatever thread emits; read by the admin server.
#include <boost/json/array.hpp>

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "admin/http_types.hpp"
#include "admin/query_string.hpp"
#include "events/event.hpp"

namespace herald::admin {

struct EventFilter {
    std::string queue_id;                  // "": any message
    std::vector<events::EventType> types;  // empty: every type
    std::size_t limit = 100;               // the newest this many
};

inline constexpr std::size_t kMaxEventLimit = 1000;

// type= (comma-separated event types), queue_id= and limit= (1 to kMaxEventLimit), or the
// 400 that says which is wrong.
std::variant<EventFilter, HttpResponse> event_filter_request(const QueryString& params);

class RecentEvents {
  public:
    static constexpr std::size_t kKept = 2000;

    void add(const events::Event& event);
    // Those matching `filter`, newest first.
    std::vector<events::Event> find(const EventFilter& filter) const;

  private:
    mutable std::mutex mutex_;
    std::deque<events::Event> events_;  // oldest first
};

// Each event as its sinks write it (events::to_json), in an array.
boost::json::array events_json(const std::vector<events::Event>& events);

}  // namespace herald::admin
