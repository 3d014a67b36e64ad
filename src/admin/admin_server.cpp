#include "admin/admin_server.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "admin/dkim_status.hpp"
#include "admin/message_detail.hpp"
#include "admin/queue_listing.hpp"
#include "admin/report_endpoints.hpp"
#include "admin/request_router.hpp"
#include "queue/queue_control.hpp"
#include "queue/queue_filter.hpp"

namespace herald::admin {

namespace asio = boost::asio;

namespace {

// An admin request is a short line and a few headers; only the sending API takes a body.
constexpr std::size_t kBodyLimit = 4 * 1024;
// Operators and one Prometheus: a few connections. More are refused, not queued.
constexpr std::size_t kMaxConnections = 32;

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::bind(asio::any_io_executor executor,
                                                       std::string_view address,
                                                       AdminServices services) {
    std::unique_ptr<AdminServer> admin(new AdminServer(std::move(services)));
    AdminServer* self = admin.get();
    const std::size_t send_limit = self->services_.send ? self->services_.send_body_limit : 0;
    HttpServerSettings settings{
        .io_timeout = self->services_.io_timeout,
        .max_connections = kMaxConnections,
        .body_limit =
            [send_limit](std::string_view path) {
                return path == kSendPath && send_limit > 0 ? send_limit : kBodyLimit;
            },
        .max_body_limit = std::max(kBodyLimit, send_limit),
        .before_body = [self](const HttpRequest& header) { return self->before_body(header); }};
    auto server = HttpServer::bind(
        executor, address, "admin.http " + std::string(address), std::move(settings),
        [self](const HttpRequest& request) { return self->answer(request); });
    if (!server) return Error{server.error()};
    admin->http_ = std::move(*server);
    return admin;
}

AdminServer::AdminServer(AdminServices services) : services_(std::move(services)) {}

AdminServer::~AdminServer() = default;

asio::awaitable<void> AdminServer::serve() {
    co_await http_->serve();
}

std::size_t AdminServer::requests_under_way() const {
    return http_->requests_under_way();
}

void AdminServer::close() {
    http_->close();
}

std::string AdminServer::local_address() const {
    return http_->local_address();
}

std::optional<HttpResponse> AdminServer::before_body(const HttpRequest& header) const {
    if (!services_.send_precheck) return std::nullopt;
    auto refused = services_.send_precheck(header);
    if (refused) note_refusal(header, *refused);
    return refused;
}

asio::awaitable<HttpResponse> AdminServer::answer(const HttpRequest& request) {
    HttpResponse response = co_await respond(request);
    note_refusal(request, response);
    co_return response;
}

// Someone without the credential tried: the operator should know who and what, but the log
// must never hold a token (a wrong one may be a right one mistyped, or another system's).
void AdminServer::note_refusal(const HttpRequest& request, const HttpResponse& response) const {
    if (response.status != 401 || !services_.note) return;
    // What the client sent, made printable and short: it is theirs, not ours.
    constexpr std::size_t kShown = 200;
    std::string path(request.target.substr(0, std::min(request.target.find('?'), kShown)));
    for (char& c : path) {
        if (c <= ' ' || c >= 0x7f) c = '?';
    }
    std::string method(request.method.substr(0, 16));
    for (char& c : method) {
        if (c <= ' ' || c >= 0x7f) c = '?';
    }
    services_.note(
        fmt::format("admin: refused {} {} from {}: {}", method, path,
                    request.client_ip.empty() ? std::string("?") : request.client_ip,
                    request.authorization.empty() ? "no bearer token" : "wrong credentials"));
}

asio::awaitable<HttpResponse> AdminServer::respond(const HttpRequest& request) {
    auto routed = route_request(
        request, AdminAccess{.token = services_.token, .loopback_only = services_.loopback_only});
    if (auto* refusal = std::get_if<HttpResponse>(&routed)) co_return std::move(*refusal);
    const Route& route = std::get<Route>(routed);
    const auto now = std::chrono::system_clock::now();
    switch (route.endpoint) {
        case Endpoint::console:
            co_return console_response(route.id);
        case Endpoint::metrics:
            services_.metrics.set_queue(services_.census.snapshot(now));
            services_.metrics.set_journal_flushes(services_.spool.journal_flushes());
            if (services_.queue_loading) {
                services_.metrics.set_queue_loading(services_.queue_loading());
            }
            if (services_.shaping_figures)
                services_.metrics.set_shaping(services_.shaping_figures());
            if (services_.event_figures) services_.metrics.set_events(services_.event_figures());
            if (services_.tlsrpt_figures) {
                services_.metrics.set_tlsrpt(services_.tlsrpt_figures());
            }
            if (services_.cluster_figures) {
                services_.metrics.set_cluster(services_.cluster_figures());
            }
            co_return metrics_response(services_.metrics);
        case Endpoint::queue_list: {
            const QueueQuery query{
                .filter = route.filter,
                .transport_of = queue::transport_names(services_.census.router()),
                .offset = route.offset,
                .limit = route.limit};
            auto listing = co_await services_.pool.run(
                [this, &query, now] { return read_queue(services_.spool, query, now); });
            co_return queue_response(listing, now);
        }
        case Endpoint::queue_action:
            co_return action_response(services_.queue_action(route.action, route.id));
        case Endpoint::queue_bulk: {
            const std::string filter = route.filter.empty()
                                           ? std::string(queue::QueueControl::kEveryMessage)
                                           : route.filter.to_text();
            co_return touched_response(services_.queue_action(
                route.action + std::string(queue::QueueControl::kMatchingSuffix), filter));
        }
        case Endpoint::summary:
            co_return co_await summary(route.params, now);
        case Endpoint::trace:
            co_return co_await trace(route.params);
        case Endpoint::doctor:
            co_return co_await doctor(route.params);
        case Endpoint::send:
            if (!services_.send) co_return json_error(404, "no such endpoint");
            co_return co_await services_.send(request);
        case Endpoint::suppressions:
            if (!services_.suppressions) co_return json_error(404, "no such endpoint");
            co_return co_await services_.suppressions(request);
        case Endpoint::shaping:
            if (!services_.shaping_status) co_return json_error(404, "no such endpoint");
            co_return json_response(services_.shaping_status());
        case Endpoint::shaping_reset:
            if (!services_.shaping_reset) co_return json_error(404, "no such endpoint");
            co_return action_response(services_.shaping_reset(route.id));
        case Endpoint::queue_message:
            co_return co_await queue_message(route.id, now);
        case Endpoint::census:
            co_return census_response(services_.census.snapshot(now));
        case Endpoint::history:
            co_return history_response(services_.metrics.history(now));
        case Endpoint::events: {
            auto filter = event_filter_request(route.params);
            if (auto* refusal = std::get_if<HttpResponse>(&filter)) co_return std::move(*refusal);
            co_return json_response(events_json(recent(std::get<EventFilter>(filter))));
        }
        case Endpoint::dkim:
            co_return co_await dkim();
        case Endpoint::routes:
            co_return routes_response(services_.config().routes);
        case Endpoint::cluster:
            if (!services_.cluster_status)
                co_return json_response(boost::json::object{{"cluster", false}});
            co_return json_response(co_await services_.cluster_status());
        case Endpoint::transports:
            break;
    }
    co_return transports_response(transport_infos(services_.config().transports), services_.metrics,
                                  services_.census.snapshot(now));
}

asio::awaitable<HttpResponse> AdminServer::summary(const QueryString& params,
                                                   std::chrono::system_clock::time_point now) {
    auto request = summary_request(params, now);
    if (auto* refusal = std::get_if<HttpResponse>(&request)) co_return std::move(*refusal);
    const auto& options = std::get<log::SummaryOptions>(request);
    // Captures by reference only: GCC 12 mislocates owning temporaries of a co_await
    // expression, and `request` lives in this frame until the pool is done.
    auto scan = co_await services_.pool.run(
        [this, &options] { return log::summarize_log_dir(services_.log_dir, options); });
    co_return summary_response(scan, options);
}

asio::awaitable<HttpResponse> AdminServer::trace(const QueryString& params) {
    auto request = trace_request(params);
    if (auto* refusal = std::get_if<HttpResponse>(&request)) co_return std::move(*refusal);
    const auto& query = std::get<log::TraceQuery>(request);
    auto scan = co_await services_.pool.run(
        [this, &query] { return log::trace_log_dir(services_.log_dir, query); });
    co_return trace_response(scan);
}

asio::awaitable<HttpResponse> AdminServer::doctor(const QueryString& params) {
    auto request = doctor_request(params);
    if (auto* refusal = std::get_if<HttpResponse>(&request)) co_return std::move(*refusal);
    if (services_.resolver == nullptr) co_return json_error(503, "no resolver");
    auto& input = std::get<doctor::DoctorInput>(request);
    input.keys = services_.config().dkim_keys;
    if (input.helo.empty()) input.helo = services_.hostname;
    auto findings = co_await doctor::run_doctor(*services_.resolver, input);
    co_return doctor_response(findings);
}

std::vector<events::Event> AdminServer::recent(const EventFilter& filter) const {
    if (!services_.recent_events) return {};
    return services_.recent_events->find(filter);
}

asio::awaitable<HttpResponse> AdminServer::queue_message(
    std::string id, std::chrono::system_clock::time_point now) {
    const auto query = log::TraceQuery{.kind = log::TraceQuery::Kind::message_id, .value = id};
    auto detail = co_await services_.pool.run(
        [this, &id] { return read_message_detail(services_.spool, id); });
    if (!detail) co_return json_error(404, "no message " + id + " in the queue");
    auto trail = co_await services_.pool.run(
        [this, &query] { return log::trace_log_dir(services_.log_dir, query); });
    const auto events = recent(EventFilter{.queue_id = id, .limit = kMaxEventLimit});
    co_return json_response(message_detail_json(*detail, trail, events, now));
}

asio::awaitable<HttpResponse> AdminServer::dkim() {
    if (services_.resolver == nullptr) co_return json_error(503, "no resolver");
    const auto keys = services_.config().dkim_keys;  // a reload may replace the config meanwhile
    auto statuses = co_await dkim_statuses(*services_.resolver, keys);
    co_return json_response(dkim_json(statuses));
}

}  // namespace herald::admin
