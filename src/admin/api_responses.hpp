#pragma once
// The bodies of the admin endpoints, built from what the server gathered for them: pure
// functions, so that every answer is tested without a socket.
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "admin/http_types.hpp"
#include "admin/metrics.hpp"
#include "admin/queue_listing.hpp"
#include "config/config.hpp"

namespace herald::admin {

struct TransportInfo {
    std::string name;
    std::string type;    // smtp, null, http, maildir, mbox
    std::string target;  // smtp: "host:port" or "MX"; http: the URL; maildir, mbox: the path
};

std::vector<TransportInfo> transport_infos(const std::vector<config::Transport>& transports);

// 200 with the value serialized.
HttpResponse json_response(const boost::json::value& value);
// The console file at `path` (console_page.hpp), or 404.
HttpResponse console_response(std::string_view path);
HttpResponse metrics_response(const Metrics& metrics);
// The array of `herald queue list --json`; X-Total-Count says how many are queued in all,
// X-Matching-Count how many the filter matches (the array holds one page of them).
HttpResponse queue_response(const QueueListing& listing, std::chrono::system_clock::time_point now);
// From QueueControl's answer to a bulk request, "ok N": {"touched": N}.
HttpResponse touched_response(std::string_view reply);
// From QueueControl's one-line answer, "ok ..." or "error ...".
HttpResponse action_response(std::string_view reply);
// Each transport with its counters and what waits for it in the queue.
HttpResponse transports_response(const std::vector<TransportInfo>& transports,
                                 const Metrics& metrics, const queue::QueueCensusSnapshot& census);
// What waits in the queue, in all, by transport and by recipient domain (the census kept in
// memory, as /metrics shows it): the console's view by destination.
// [{"sender": "*@example.com", "transport": "mx"}, ...], in the order they are tried.
HttpResponse routes_response(const std::vector<config::Route>& routes);
HttpResponse census_response(const queue::QueueCensusSnapshot& census);
// The per-minute counts of the last hours: {"minute_seconds": 60, "start": ISO time of the
// first minute, "received": [n, ...], "delivered": [...], "deferred": [...], "bounced": [...]}.
HttpResponse history_response(const MinuteHistory::Snapshot& history);

}  // namespace herald::admin
