#pragma once
// The server's counters and gauges, rendered for Prometheus (text exposition format 0.0.4).
// Most are fed by the mainlog and rejectlog observers, which see every event; the rest by
// the parts that know them (connections, DKIM signing, the queue census taken at scrape time, how
// far start-up has read the queue).
//
// Thread-safe: log lines are written from the event loop and from the blocking pool alike.
// One mutex guards everything; an update is a few map look-ups, far cheaper than the log
// line beside it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/minute_history.hpp"
#include "admin/rejection_reason.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "events/event_figures.hpp"
#include "log/main_log.hpp"
#include "log/reject_log.hpp"
#include "queue/queue_census.hpp"
#include "queue/queue_loading.hpp"
#include "tlsrpt/tlsrpt_figures.hpp"

namespace herald::admin {

struct TransportCounts {
    std::uint64_t delivered = 0;
    std::uint64_t deferred = 0;
    std::uint64_t failed = 0;
};

// A node of a cluster (issue 21): its link to Redis, as /metrics shows it.
struct ClusterFigures {
    bool redis_up = false;
    std::uint64_t state_changes = 0;  // between up and down
    std::uint64_t nodes = 0;          // alive at the last heartbeat, this one included
    std::uint64_t local_counts = 0;   // messages counted locally while Redis was unreachable
};

class Metrics {
  public:
    // The configured transports start at zero, so that a rate over them exists from the
    // first scrape.
    explicit Metrics(const std::vector<std::string>& transports = {});

    void observe(const log::MainLogEvent& event);
    void observe(const log::RejectLogEvent& event);

    void connection_opened();
    void connection_closed();
    void dkim_signed(std::string_view domain);
    void set_queue(queue::QueueCensusSnapshot census);
    void set_queue_loading(queue::QueueLoadFigures figures);
    void set_journal_flushes(std::uint64_t flushes);
    void set_shaping(delivery::TrafficShaper::Figures figures);
    void set_events(events::EventFigures figures);
    void set_tlsrpt(tlsrpt::TlsRptFigures figures);
    // In a cluster: every sample carries node="<name>", and the cluster's own figures.
    void set_node(std::string node);
    void set_cluster(ClusterFigures figures);

    TransportCounts transport(std::string_view name) const;
    // Per recipient domain, labelled as queue/destination_label.hpp says (the first
    // kMaxDestinations domains, then "other").
    static constexpr std::size_t kMaxDestinations = queue::kMaxDestinationLabels;
    TransportCounts destination(std::string_view domain) const;
    // The per-minute counts of the last hours, for the console's graphs.
    MinuteHistory::Snapshot history(MinuteHistory::Clock::time_point now) const;
    std::string render() const;

  private:
    mutable std::mutex mutex_;
    std::uint64_t received_ = 0;
    std::uint64_t bounces_ = 0;
    TransportCounts& destination_of(std::string_view recipient);

    std::map<std::string, TransportCounts, std::less<>> transports_;
    std::map<std::string, TransportCounts, std::less<>> destinations_;
    std::map<RejectionReason, std::uint64_t> rejections_;
    std::uint64_t rate_limit_hits_ = 0;
    std::uint64_t connections_ = 0;
    std::uint64_t connections_total_ = 0;
    std::map<std::string, std::uint64_t, std::less<>> dkim_signatures_;
    queue::QueueCensusSnapshot queue_;
    queue::QueueLoadFigures queue_loading_;
    std::uint64_t journal_flushes_ = 0;
    delivery::TrafficShaper::Figures shaping_;
    events::EventFigures events_;
    std::optional<tlsrpt::TlsRptFigures> tlsrpt_;  // none: [tlsrpt] off
    std::string node_;
    std::optional<ClusterFigures> cluster_;
    MinuteHistory history_;
};

// A Prometheus label value: backslash, double quote and newline escaped (format 0.0.4).
std::string escape_label_value(std::string_view value);

}  // namespace herald::admin
