#pragma once
// The admin HTTP server ([admin] http): /metrics, the JSON API, the web console and the
// sending API, on the server's event loop (http_server.hpp moves and bounds the bytes). What
// each request gets is decided by request_router.hpp and api_responses.hpp; this file reads
// the spool on the blocking pool so that a long queue never stalls SMTP.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/api_responses.hpp"
#include "admin/http_server.hpp"
#include "admin/http_types.hpp"
#include "admin/metrics.hpp"
#include "admin/query_string.hpp"
#include "admin/recent_events.hpp"
#include "base/blocking_pool.hpp"
#include "base/result.hpp"
#include "config/config.hpp"

namespace herald::spool {
class Spool;
}
namespace herald::dns {
class Resolver;
}

namespace herald::admin {

struct AdminServices {
    Metrics& metrics;
    const queue::QueueCensus& census;
    const spool::Spool& spool;
    BlockingPool& pool;
    // QueueControl::handle: runs on the event loop; answers "ok ..." or "error ...".
    std::function<std::string(std::string_view action, std::string_view id)> queue_action;
    // The config in force, asked at each request since a reload replaces it: its transports,
    // routes and DKIM keys are what /api/transports, /api/routes, /api/dkim and /api/doctor
    // show. Called on the event loop; a request copies what it keeps across a co_await.
    std::function<const config::Config&()> config;
    // [admin] token, or the one generated in the spool (admin_token.hpp); empty: nothing but
    // the console is served. loopback_only: the token was generated (see AdminAccess).
    std::string token;
    bool loopback_only = false;
    // A mainlog line, for refused credentials (never with the token given).
    std::function<void(const std::string&)> note;
    // For /api/summary and /api/trace (read on the blocking pool) and /api/doctor (the
    // server's resolver; the configured DKIM keys checked, the hostname as the HELO name).
    std::filesystem::path log_dir;
    dns::Resolver* resolver = nullptr;
    std::string hostname;
    // POST /api/v1/messages (api::send_messages); null: answered 404. Its body may be as
    // large as send_body_limit; send_precheck refuses a request before its body is read.
    Responder send;
    std::function<std::optional<HttpResponse>(const HttpRequest& header)> send_precheck;
    std::size_t send_body_limit = 0;
    // /api/v1/suppressions (api/suppression_endpoint.hpp), which checks its own credentials;
    // null: answered 404.
    Responder suppressions;
    // GET /api/shaping (delivery/shaping_status.hpp), POST /api/shaping/<provider>/reset
    // ("ok ..." or "error no provider ..."), and the shaper's figures for /metrics.
    std::function<boost::json::object()> shaping_status;
    std::function<std::string(std::string_view provider)> shaping_reset;
    std::function<delivery::TrafficShaper::Figures()> shaping_figures;
    // Events, webhooks and reports for /metrics (docs/events.md); unset: none shown.
    std::function<events::EventFigures()> event_figures;
    std::function<tlsrpt::TlsRptFigures()> tlsrpt_figures;  // null: [tlsrpt] off
    std::function<ClusterFigures()> cluster_figures;        // null: not a node of a cluster
    std::function<queue::QueueLoadFigures()> queue_loading;
    // GET /api/cluster: {"cluster": false} alone, else the link and the nodes Redis knows.
    std::function<boost::asio::awaitable<boost::json::object>()> cluster_status;
    // The latest events, for GET /api/events and a message's detail; null: none kept.
    const RecentEvents* recent_events = nullptr;
    // How long one request may take to arrive, or its response to leave: a client that
    // trickles bytes (slowloris) holds a descriptor no longer.
    std::chrono::milliseconds io_timeout = std::chrono::seconds(10);
};

class AdminServer {
  public:
    // `address` is [admin] http, "host:port". An error names the address and the reason.
    static Result<std::unique_ptr<AdminServer>> bind(boost::asio::any_io_executor executor,
                                                     std::string_view address,
                                                     AdminServices services);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    boost::asio::awaitable<void> serve();
    void close();
    std::size_t requests_under_way() const;  // HttpServer::requests_under_way
    // The bound endpoint, e.g. "127.0.0.1:8025", for the start-up report.
    std::string local_address() const;

  private:
    explicit AdminServer(AdminServices services);
    std::optional<HttpResponse> before_body(const HttpRequest& header) const;
    boost::asio::awaitable<HttpResponse> answer(const HttpRequest& request);
    boost::asio::awaitable<HttpResponse> respond(const HttpRequest& request);
    void note_refusal(const HttpRequest& request, const HttpResponse& response) const;
    boost::asio::awaitable<HttpResponse> summary(const QueryString& params,
                                                 std::chrono::system_clock::time_point now);
    boost::asio::awaitable<HttpResponse> trace(const QueryString& params);
    boost::asio::awaitable<HttpResponse> doctor(const QueryString& params);
    boost::asio::awaitable<HttpResponse> queue_message(std::string id,
                                                       std::chrono::system_clock::time_point now);
    boost::asio::awaitable<HttpResponse> dkim();
    std::vector<events::Event> recent(const EventFilter& filter) const;

    AdminServices services_;
    std::unique_ptr<HttpServer> http_;
};

}  // namespace herald::admin
