#pragma once
// What waits in the queue, in all and per transport and recipient domain: the queue gauges
// of /metrics. Kept in memory as messages arrive, are tried and leave, so that a scrape never
// reads the spool, however long the queue; filled from the spool at start-up.
//
// Thread-safe: intake runs in the blocking pool, attempts and queue commands on the event loop.
#include <boost/container/small_vector.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery/transport_selector.hpp"
#include "message/envelope.hpp"
#include "queue/destination_label.hpp"
#include "queue/message_key.hpp"

namespace herald::spool {
struct SpooledMessage;
}

namespace herald::queue {

struct QueueGauge {
    std::size_t messages = 0;    // with at least one recipient still to deliver here
    std::size_t recipients = 0;  // still to deliver
    std::chrono::seconds oldest_age{0};
};

struct QueueCensusSnapshot {
    QueueGauge total;  // every message in the queue, held ones and those awaiting a bounce too
    std::map<std::string, QueueGauge, std::less<>> transports;
    std::map<std::string, QueueGauge, std::less<>> destinations;
};

class QueueCensus {
  public:
    using Clock = std::chrono::system_clock;
    static constexpr std::size_t kMaxDestinations = kMaxDestinationLabels;

    explicit QueueCensus(const delivery::TransportSelector& router) : router_(router) {}

    // The message as it is now, replacing what was counted for it before.
    void place(const spool::SpooledMessage& message);
    // A message just queued: every recipient still to deliver.
    void place(std::string_view id, const message::Envelope& envelope);
    void remove(std::string_view id);

    QueueCensusSnapshot snapshot(Clock::time_point now) const;
    // The router it counts by: the admin API's queue filter names transports as it does.
    const delivery::TransportSelector& router() const { return router_; }

  private:
    // Recipients of one message that go through one transport to one domain.
    struct Share {
        std::uint16_t transport;
        std::uint16_t destination;
        std::uint32_t recipients;
    };
    using Shares = boost::container::small_vector<Share, 1>;
    struct Entry {
        Clock::time_point arrival;
        Shares shares;
    };
    // Arrivals are kept to the second: as many entries as distinct seconds, not messages.
    struct Tally {
        std::size_t messages = 0;
        std::size_t recipients = 0;
        std::map<std::int64_t, std::size_t> arrivals;  // second since the epoch -> messages
    };

    Shares shares_of(std::string_view sender, const std::vector<std::string_view>& pending);
    std::uint16_t transport_index(std::string_view name);
    std::uint16_t destination_index(std::string_view recipient);
    void place(std::string_view id, Clock::time_point arrival, Shares shares);
    void count(const Entry& entry, int sign);

    const delivery::TransportSelector& router_;
    mutable std::mutex mutex_;
    std::unordered_map<MessageKey, Entry, MessageKeyHash> messages_;
    Tally total_;
    std::vector<std::string> transport_names_;
    std::vector<Tally> transports_;
    std::vector<std::string> destination_names_;
    std::unordered_map<std::string, std::uint16_t> destination_indexes_;
    std::vector<Tally> destinations_;
};

}  // namespace herald::queue
