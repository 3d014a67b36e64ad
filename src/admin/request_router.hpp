#pragma once
// Which endpoint a request asks for, or why it is refused, decided from the request alone:
//   GET  /, /console.css, /console.js   the web console (static files, no data)
//   GET  /metrics                       Prometheus text format
//   GET  /api/queue[?limit=N&offset=N&<filter>]  the queue, as `herald queue list --json`
//                                       (the filter: queue/queue_filter.hpp)
//   POST /api/queue/<action>?<filter>   flush, hold, release, delete, bounce every message the
//                                       filter matches (all=yes: every one) -> {"touched": N}
//   POST /api/queue/flush               try every deferred message now
//   POST /api/queue/<id>/<action>       flush, hold, release, delete, bounce
//   GET  /api/queue/<id>                one message in detail (message_detail.hpp)
//   GET  /api/census                    what waits, by transport and by recipient domain
//   GET  /api/history                   per-minute counts of the last hours (minute_history.hpp)
//   GET  /api/events[?type=&queue_id=&limit=]   the latest events kept (recent_events.hpp)
//   GET  /api/dkim                      the DKIM keys, their records and DNS status
//   GET  /api/transports                the configured transports and their counts
//   GET  /api/routes                    the [[route]]s, in order
//   GET  /api/cluster                   the nodes of the [cluster] (state/cluster_nodes.hpp)
//   GET  /api/summary[?since=&sender=]  `herald summary --json`
//   GET  /api/trace?q=QUERY             `herald trace --json`
//   GET  /api/doctor?domain=D[&ip=&selector=&rbl=&dbl=]   `herald doctor --json`, DNS checks
//   POST /api/v1/messages               the sending API (api/send_endpoint.hpp)
//   GET|POST|DELETE /api/v1/suppressions the suppression lists (api/suppression_endpoint.hpp)
// Everything but the console and the sending API needs "Authorization: Bearer <token>"
// (AdminAccess says which token, and whether /metrics is open); the sending API takes an
// [[api_key]]'s token instead, checked by the API itself; the suppression lists either.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "admin/http_types.hpp"
#include "admin/query_string.hpp"
#include "queue/queue_filter.hpp"

namespace herald::admin {

enum class Endpoint {
    console,
    metrics,
    queue_list,
    queue_action,
    queue_bulk,
    transports,
    summary,
    trace,
    doctor,
    send,
    shaping,
    shaping_reset,
    suppressions,
    queue_message,
    census,
    history,
    events,
    dkim,
    routes,
    cluster
};

struct Route {
    Endpoint endpoint = Endpoint::console;
    std::string action;  // queue_action: flush, hold, release, delete, bounce
    // queue_action: "" for flush of the whole queue; queue_message: the message;
    // shaping_reset: the provider; console: the file's path
    std::string id;
    std::size_t limit = 0;      // queue_list: most entries to return
    std::size_t offset = 0;     // queue_list: entries to skip
    queue::QueueFilter filter;  // queue_list, queue_bulk (queue_bulk: empty means all=yes)
    QueryString params;         // summary, trace, doctor (report_endpoints.hpp), events
};

inline constexpr std::size_t kDefaultQueueLimit = 1000;
inline constexpr std::size_t kMaxQueueLimit = 100000;

// Who may ask what. Queue actions and message data (the queue, traces, summaries) always
// need the token: loopback is reachable by every local user, so it is no credential.
struct AdminAccess {
    // [admin] token, or the one generated in the spool (admin_token.hpp). Empty: nothing
    // but the console is served (fails closed).
    std::string_view token;
    // The token was generated, so the server listens on loopback only (the loader insists on
    // a configured token beyond it): /metrics is served without the token, for a local
    // Prometheus, and every request must name a loopback Host (DNS rebinding).
    bool loopback_only = false;
};

std::variant<Route, HttpResponse> route_request(const HttpRequest& request, AdminAccess access);

// The path of the sending API, whose requests carry a body (the only ones that do).
inline constexpr std::string_view kSendPath = "/api/v1/messages";
inline constexpr std::string_view kSuppressionsPath = "/api/v1/suppressions";

// "Bearer <token>" (RFC 6750 2.1), the scheme in any case, compared in constant time.
bool authorized(std::string_view authorization, std::string_view token);

}  // namespace herald::admin
