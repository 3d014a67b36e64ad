#include "admin/message_detail.hpp"

#include "admin/recent_events.hpp"
#include "message/header_block.hpp"

namespace herald::admin {

std::optional<MessageDetail> read_message_detail(const spool::Spool& spool, std::string_view id) {
    auto loaded = spool.load_with_data(id);
    if (!loaded) return std::nullopt;
    MessageDetail detail{.entry = queue_entry(std::move(loaded->message), spool.load_schedule(id))};
    if (loaded->data) {
        std::string_view headers = header_section(*loaded->data);
        detail.headers_truncated = headers.size() > kMaxHeaderBytes;
        detail.headers = headers.substr(0, kMaxHeaderBytes);
    }
    return detail;
}

std::string_view header_section(std::string_view data) {
    // Where the rest of Herald (signing, 8BITMIME, Received) draws the boundary.
    return data.substr(0, message::header_section_end(data));
}

boost::json::object message_detail_json(const MessageDetail& detail, const log::TraceScan& trail,
                                        const std::vector<events::Event>& events,
                                        std::chrono::system_clock::time_point now) {
    boost::json::object out = queue_json({detail.entry}, now).at(0).as_object();
    const auto& env = detail.entry.message.envelope;
    out["envelope"] = {{"helo", env.helo},
                       {"client_ip", env.client_ip},
                       {"auth_user", env.auth_user},
                       {"protocol", env.protocol},
                       {"smtputf8", env.smtputf8},
                       {"body_8bit", env.body_8bit},
                       {"require_tls", env.require_tls}};
    // Each recipient's latest reply, from the newest event that carries one.
    boost::json::array recipients;
    for (const auto& r : detail.entry.message.recipients) {
        boost::json::object recipient{{"address", r.address},
                                      {"state", spool::to_string(r.state)},
                                      {"last_reply", ""},
                                      {"remote_host", ""}};
        for (const auto& e : events) {
            if (e.recipient != r.address || e.reply.empty()) continue;
            recipient["last_reply"] = e.reply;
            recipient["remote_host"] = e.remote_host;
            break;
        }
        recipients.push_back(std::move(recipient));
    }
    out["recipients"] = std::move(recipients);
    out["headers"] = detail.headers;
    out["headers_truncated"] = detail.headers_truncated;
    out["trail"] = log::trace_json(trail.lines);
    out["events"] = events_json(events);
    return out;
}

}  // namespace herald::admin
