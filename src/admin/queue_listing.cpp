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

// The ids of the messages `query` matches, oldest first, cut to its page; the counts of every
// match go into `listing`. Only the arrival and id of each match are kept until the page is
// known: a long queue is read through once, not held in memory.
std::vector<std::string> page_of_matches(const spool::Spool& spool, std::vector<std::string>& ids,
                                         const QueueQuery& query, Clock::time_point now,
                                         QueueListing& listing) {
    std::vector<std::pair<Clock::time_point, std::string>> matches;
    for (auto& id : ids) {
        auto message = spool.load(id);
        if (!message || !query.filter.matches(*message, now, query.transport_of)) continue;
        for (const auto& r : message->recipients) {
            if (r.state == spool::RecipientState::pending) ++listing.pending_recipients;
        }
        listing.bytes += message->data_size;
        matches.emplace_back(message->envelope.arrival, std::move(id));
    }
    listing.matching = matches.size();
    std::stable_sort(matches.begin(), matches.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::size_t first = std::min(query.offset, matches.size());
    const std::size_t last = first + std::min(query.limit, matches.size() - first);
    std::vector<std::string> page;
    for (std::size_t i = first; i < last; ++i) page.push_back(std::move(matches[i].second));
    return page;
}

}  // namespace

QueueEntry queue_entry(spool::SpooledMessage message, std::optional<spool::Schedule> schedule) {
    QueueEntry entry{std::move(message), std::move(schedule), {}};
    for (const auto& r : entry.message.recipients) {
        if (r.state == spool::RecipientState::pending) entry.pending.push_back(r.address);
    }
    return entry;
}

QueueListing read_queue(const spool::Spool& spool, std::size_t limit) {
    return read_queue(spool, QueueQuery{.limit = limit}, Clock::now());
}

QueueListing read_queue(const spool::Spool& spool, const QueueQuery& query, Clock::time_point now) {
    QueueListing listing;
    auto ids = spool.list();  // sorted: an id begins with its arrival time
    listing.total = ids.size();
    std::vector<std::string> page;
    if (query.filter.empty() && !query.totals) {
        listing.matching = ids.size();
        const std::size_t first = std::min(query.offset, ids.size());
        const std::size_t last = first + std::min(query.limit, ids.size() - first);
        page.assign(ids.begin() + first, ids.begin() + last);
    } else {
        page = page_of_matches(spool, ids, query, now, listing);
    }
    for (const auto& id : page) {
        auto message = spool.load(id);
        if (!message) continue;  // removed while we looked
        listing.entries.push_back(queue_entry(std::move(*message), spool.load_schedule(id)));
    }
    std::stable_sort(listing.entries.begin(), listing.entries.end(),
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
