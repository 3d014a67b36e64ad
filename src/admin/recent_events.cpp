#include "admin/recent_events.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>

#include "spool/message_id.hpp"

namespace herald::admin {

std::variant<EventFilter, HttpResponse> event_filter_request(const QueryString& params) {
    EventFilter filter;
    const std::string types = params.get("type").value_or("");
    for (std::size_t start = 0; start < types.size();) {
        const std::size_t comma = std::min(types.find(',', start), types.size());
        const std::string_view name = std::string_view(types).substr(start, comma - start);
        auto type = events::parse_event_type(name);
        if (!type) return json_error(400, "type must name event types: " + std::string(name) + "?");
        filter.types.push_back(*type);
        start = comma + 1;
    }
    filter.queue_id = params.get("queue_id").value_or("");
    if (!filter.queue_id.empty() && !spool::is_valid_message_id(filter.queue_id)) {
        return json_error(400, "queue_id is not a message id");
    }
    if (auto text = params.get("limit")) {
        std::size_t limit = 0;
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
        if (ec != std::errc() || end != text->data() + text->size() || limit == 0 ||
            limit > kMaxEventLimit) {
            return json_error(400,
                              "limit must be a number from 1 to " + std::to_string(kMaxEventLimit));
        }
        filter.limit = limit;
    }
    return filter;
}

void RecentEvents::add(const events::Event& event) {
    std::lock_guard lock(mutex_);
    if (events_.size() == kKept) events_.pop_front();
    events_.push_back(event);
}

std::vector<events::Event> RecentEvents::find(const EventFilter& filter) const {
    std::vector<events::Event> out;
    std::lock_guard lock(mutex_);
    for (auto it = events_.rbegin(); it != events_.rend() && out.size() < filter.limit; ++it) {
        if (!filter.queue_id.empty() && it->queue_id != filter.queue_id) continue;
        if (!filter.types.empty() &&
            std::find(filter.types.begin(), filter.types.end(), it->type) == filter.types.end()) {
            continue;
        }
        out.push_back(*it);
    }
    return out;
}

boost::json::array events_json(const std::vector<events::Event>& events) {
    boost::json::array out;
    // One serializer for the sinks and this page, so that the fields are the contract's.
    for (const auto& event : events) out.push_back(boost::json::parse(events::to_json(event)));
    return out;
}

}  // namespace herald::admin
