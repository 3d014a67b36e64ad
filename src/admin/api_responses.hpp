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
HttpResponse console_response();
HttpResponse metrics_response(const Metrics& metrics);
// The array of `herald queue list --json`; X-Total-Count says how many are queued in all.
HttpResponse queue_response(const QueueListing& listing, std::chrono::system_clock::time_point now);
// From QueueControl's one-line answer, "ok ..." or "error ...".
HttpResponse action_response(std::string_view reply);
// Each transport with its counters and what waits for it in the queue.
HttpResponse transports_response(const std::vector<TransportInfo>& transports,
                                 const Metrics& metrics, const queue::QueueCensusSnapshot& census);

}  // namespace herald::admin
