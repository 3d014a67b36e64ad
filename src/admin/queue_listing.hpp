#pragma once
// The queue as `herald queue list --json` and GET /api/queue show it: one entry per message,
// oldest first. Reads the spool (blocking): call it off the event loop.
#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "spool/schedule.hpp"
#include "spool/spool.hpp"

namespace herald::admin {

struct QueueEntry {
    spool::SpooledMessage message;
    std::optional<spool::Schedule> schedule;
    std::vector<std::string> pending;  // addresses of the recipients still to deliver
};

struct QueueListing {
    std::vector<QueueEntry> entries;  // at most the limit asked for, oldest first
    std::size_t total = 0;            // messages in the queue
};

QueueListing read_queue(const spool::Spool& spool,
                        std::size_t limit = std::numeric_limits<std::size_t>::max());

// "held", "now" (never tried) or the ISO 8601 time of the next attempt.
std::string next_attempt_text(const QueueEntry& entry);

// The JSON array of `herald queue list --json`.
boost::json::array queue_json(const std::vector<QueueEntry>& entries,
                              std::chrono::system_clock::time_point now);

}  // namespace herald::admin
