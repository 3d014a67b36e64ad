#pragma once
// The queue as `herald queue list --json` and GET /api/queue show it: one entry per message,
// oldest first. Reads the spool (blocking): call it off the event loop.
#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "queue/queue_filter.hpp"
#include "spool/schedule.hpp"
#include "spool/spool.hpp"

namespace herald::admin {

struct QueueEntry {
    spool::SpooledMessage message;
    std::optional<spool::Schedule> schedule;
    std::vector<std::string> pending;  // addresses of the recipients still to deliver
};

// The entry of a message read from the spool: its pending recipients picked out.
QueueEntry queue_entry(spool::SpooledMessage message, std::optional<spool::Schedule> schedule);

struct QueueListing {
    std::vector<QueueEntry> entries;  // at most the limit asked for, oldest first
    std::size_t total = 0;            // messages in the queue
    // Of the messages the filter matches, all of them (not only those in `entries`):
    std::size_t matching = 0;            // how many
    std::size_t pending_recipients = 0;  // their recipients still to deliver
    std::uint64_t bytes = 0;             // their size
};

// Which part of the queue to read: the messages `filter` matches, oldest first, from the
// `offset`th on, at most `limit` of them.
struct QueueQuery {
    queue::QueueFilter filter;
    queue::TransportOf transport_of;  // needed when the filter names a transport
    std::size_t offset = 0;
    std::size_t limit = std::numeric_limits<std::size_t>::max();
    // Also count the pending recipients and bytes of every match. Without a filter, and
    // without this, only the page is read: a look at a queue of millions stays quick.
    bool totals = false;
};

QueueListing read_queue(const spool::Spool& spool,
                        std::size_t limit = std::numeric_limits<std::size_t>::max());
QueueListing read_queue(const spool::Spool& spool, const QueueQuery& query,
                        std::chrono::system_clock::time_point now);

// "held", "now" (never tried) or the ISO 8601 time of the next attempt.
std::string next_attempt_text(const QueueEntry& entry);

// The JSON array of `herald queue list --json`.
boost::json::array queue_json(const std::vector<QueueEntry>& entries,
                              std::chrono::system_clock::time_point now);

}  // namespace herald::admin
