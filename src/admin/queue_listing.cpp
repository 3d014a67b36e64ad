#include "admin/queue_listing.hpp"

#include <algorithm>

#include "base/timestamp.hpp"

namespace herald::admin {

namespace {

using Clock = std::chrono::system_clock;

std::chrono::seconds age(Clock::time_point arrival, Clock::time_point now) {
    return std::max(std::chrono::seconds(0),
                    std::chrono::duration_cast<std::chrono::seconds>(now - arrival));
}

}  // namespace

QueueListing read_queue(const spool::Spool& spool, std::size_t limit) {
    QueueListing listing;
    auto ids = spool.list();  // in arrival order: the first are the oldest
    listing.total = ids.size();
    for (const auto& id : ids) {
        if (listing.entries.size() >= limit) break;
        auto message = spool.load(id);
        if (!message) continue;  // removed while we looked
        QueueEntry entry{std::move(*message), spool.load_schedule(id), {}};
        for (const auto& r : entry.message.recipients) {
            if (r.state == spool::RecipientState::pending) entry.pending.push_back(r.address);
        }
        listing.entries.push_back(std::move(entry));
    }
    std::sort(listing.entries.begin(), listing.entries.end(),
              [](const QueueEntry& a, const QueueEntry& b) {
                  return a.message.envelope.arrival < b.message.envelope.arrival;
              });
    return listing;
}

std::string next_attempt_text(const QueueEntry& entry) {
    if (entry.message.held) return "held";
    if (!entry.schedule) return "now";
    return iso8601_utc(entry.schedule->next_attempt);
}

boost::json::array queue_json(const std::vector<QueueEntry>& entries, Clock::time_point now) {
    boost::json::array out;
    for (const auto& e : entries) {
        const auto& env = e.message.envelope;
        boost::json::array recipients;
        for (const auto& r : e.message.recipients) {
            recipients.push_back({{"address", r.address}, {"state", spool::to_string(r.state)}});
        }
        out.push_back({
            {"id", e.message.id},
            {"arrival", iso8601_utc(env.arrival)},
            {"age_seconds", age(env.arrival, now).count()},
            {"sender", env.sender},
            {"recipients", std::move(recipients)},
            {"pending", e.pending.size()},
            {"held", e.message.held},
            {"size", e.message.data_size},
            {"attempts", e.schedule ? e.schedule->attempts : 0},
            {"next_attempt", next_attempt_text(e)},
            {"last_error", e.schedule ? e.schedule->last_error : ""},
        });
    }
    return out;
}

}  // namespace herald::admin
