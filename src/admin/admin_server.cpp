#include "admin/admin_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <tuple>

#include "admin/queue_listing.hpp"
#include "admin/report_endpoints.hpp"
#include "admin/request_router.hpp"
#include "config/value_formats.hpp"

namespace herald::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// An admin request is a short line and a few headers; anything bigger is not one of ours.
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 4 * 1024;
// Operators and one Prometheus: a few connections. More are refused, not queued.
constexpr std::size_t kMaxConnections = 32;
// What a closing connection still reads and drops (see drain_then_close).
constexpr std::size_t kMaxDrain = 1024 * 1024;

std::string_view view(beast::string_view s) {
    return {s.data(), s.size()};
}

std::string remote_ip(const tcp::socket& socket) {
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return "";
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    }
    return address.to_string();
}

// Why a request could not be read, as the status that says so (RFC 6585 5, RFC 9110 15.5).
HttpResponse unreadable(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit) return json_error(431, "request header too large");
    if (ec == http::error::body_limit) {
        return json_error(413, "request body too large", "too_large");
    }
    return json_error(400, "malformed request");
}

http::response<http::string_body> to_beast(HttpResponse response, unsigned version,
                                           bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, "herald");
    out.set(http::field::content_type, response.content_type);
    out.set(http::field::cache_control, "no-store");
    out.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.body() = std::move(response.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

// A client may still be sending when we close (the rest of a huge header): closing with
// unread input resets the connection, which can destroy the response in flight (RFC 9112
// 9.6). So stop sending first, then read and drop what still comes, for a short while.
asio::awaitable<void> drain_then_close(beast::tcp_stream& stream,
                                       std::chrono::milliseconds linger) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(linger);
    std::array<char, 4096> scrap;
    for (std::size_t dropped = 0; dropped < kMaxDrain;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(scrap),
                                                       asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        dropped += n;
    }
    stream.close();
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::bind(asio::any_io_executor executor,
                                                       std::string_view address,
                                                       AdminServices services) {
    const std::string where = "admin.http " + std::string(address);
    auto parsed = config::parse_host_port(address);
    if (!parsed) return Error{where + ": " + parsed.error()};
    // The loader allows "localhost"; it means loopback, never a name looked up elsewhere.
    std::string host = parsed->host == "localhost" ? "127.0.0.1" : parsed->host;
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return Error{where + ": not an IP address"};
    tcp::endpoint endpoint(ip, parsed->port);
    tcp::acceptor acceptor(executor);
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
        return Error{where + ": cannot listen: " + ec.message()};
    }
    return std::unique_ptr<AdminServer>(new AdminServer(std::move(acceptor), std::move(services)));
}

AdminServer::AdminServer(tcp::acceptor acceptor, AdminServices services)
    : acceptor_(std::move(acceptor)), services_(std::move(services)) {}

AdminServer::~AdminServer() {
    close();
}

void AdminServer::close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

std::string AdminServer::local_address() const {
    boost::system::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    if (ec) return "";
    return config::format_host_port({endpoint.address().to_string(), endpoint.port()});
}

asio::awaitable<void> AdminServer::serve() {
    auto executor = co_await asio::this_coro::executor;
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        if (ec) continue;  // out of descriptors, a reset before accept: keep serving
        if (connections_ >= kMaxConnections) continue;  // the socket closes as it goes
        asio::co_spawn(executor, answer(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> AdminServer::answer(tcp::socket socket) {
    ++connections_;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(kHeaderLimit + kBodyLimit);
    while (true) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        // Beast weighs Content-Length against the limit as the header ends: the sending API's
        // limit until the target is known, then the admin API's for anything else.
        parser.body_limit(std::max(kBodyLimit, services_.send ? services_.send_body_limit : 0));
        stream.expires_after(services_.io_timeout);
        auto [read_error, n] = co_await http::async_read_header(
            stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (!read_error && !parser.is_done()) {
            const auto target = view(parser.get().target());
            const bool sending = services_.send && target.substr(0, target.find('?')) == kSendPath;
            const auto length = parser.content_length().value_or(0);
            if (!sending) {
                parser.body_limit(kBodyLimit);
                if (length > kBodyLimit) read_error = http::error::body_limit;
            }
            // A large body takes longer than a request line: the deadline grows with it, at
            // no less than 1 MiB a second.
            stream.expires_after(services_.io_timeout + std::chrono::seconds(length >> 20));
            if (!read_error) {
                std::tie(read_error, n) = co_await http::async_read(
                    stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
            }
        }
        const auto& request = parser.get();
        bool keep_alive = !read_error && request.keep_alive();
        HttpResponse response;
        if (read_error) {
            response = unreadable(read_error);
        } else {
            HttpRequest view_of{.method = view(request.method_string()),
                                .target = view(request.target()),
                                .host = view(request[http::field::host]),
                                .authorization = view(request[http::field::authorization]),
                                .origin = view(request[http::field::origin]),
                                .idempotency_key = view(request["Idempotency-Key"]),
                                .body = request.body(),
                                .client_ip = remote_ip(stream.socket())};
            try {
                response = co_await respond(view_of);
            } catch (const std::exception& e) {
                response = json_error(500, e.what());
            }
            note_refusal(view_of, response, stream.socket());
        }
        auto out = to_beast(std::move(response), read_error ? 11 : request.version(), keep_alive);
        stream.expires_after(services_.io_timeout);
        auto [write_error, written] =
            co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
        if (write_error || !keep_alive) break;
    }
    co_await drain_then_close(stream, services_.io_timeout);
    --connections_;
}

// Someone without the credential tried: the operator should know who and what, but the log
// must never hold a token (a wrong one may be a right one mistyped, or another system's).
void AdminServer::note_refusal(const HttpRequest& request, const HttpResponse& response,
                               const tcp::socket& socket) const {
    if (response.status != 401 || !services_.note) return;
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
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
                    ec ? std::string("?") : peer.address().to_string(),
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
            co_return console_response();
        case Endpoint::metrics:
            services_.metrics.set_queue(services_.census.snapshot(now));
            co_return metrics_response(services_.metrics);
        case Endpoint::queue_list: {
            const std::size_t limit = route.limit;
            auto listing = co_await services_.pool.run(
                [this, limit] { return read_queue(services_.spool, limit); });
            co_return queue_response(listing, now);
        }
        case Endpoint::queue_action:
            co_return action_response(services_.queue_action(route.action, route.id));
        case Endpoint::summary:
            co_return co_await summary(route.params, now);
        case Endpoint::trace:
            co_return co_await trace(route.params);
        case Endpoint::doctor:
            co_return co_await doctor(route.params);
        case Endpoint::send:
            if (!services_.send) co_return json_error(404, "no such endpoint");
            co_return co_await services_.send(request);
        case Endpoint::transports:
            break;
    }
    co_return transports_response(services_.transports, services_.metrics,
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
    input.keys = services_.dkim_keys;
    if (input.helo.empty()) input.helo = services_.hostname;
    auto findings = co_await doctor::run_doctor(*services_.resolver, input);
    co_return doctor_response(findings);
}

}  // namespace herald::admin
