#pragma once
// GET /api/queue/<id>: one queued message as the console's detail page shows it. Its queue
// entry (the fields of GET /api/queue), its envelope and header section, each recipient's
// state with the last reply the events kept for it, the message's log trail (`herald trace`)
// and its recent events. Reading is the server's; building the answer is pure.
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "admin/queue_listing.hpp"
#include "events/event.hpp"
#include "log/log_views.hpp"
#include "spool/spool.hpp"

namespace herald::admin {

// Enough for any header section a person reads; a message that has more is not shown whole.
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

struct MessageDetail {
    QueueEntry entry;
    std::string headers;  // the header section, as stored, at most kMaxHeaderBytes
    bool headers_truncated = false;
};

// Reads the spool (blocking). nullopt: no such message (delivered, deleted, never there).
std::optional<MessageDetail> read_message_detail(const spool::Spool& spool, std::string_view id);

// The header section of a message's text: up to the first empty line.
std::string_view header_section(std::string_view data);

// `events`: the message's, newest first (RecentEvents::find).
boost::json::object message_detail_json(const MessageDetail& detail, const log::TraceScan& trail,
                                        const std::vector<events::Event>& events,
                                        std::chrono::system_clock::time_point now);

}  // namespace herald::admin
