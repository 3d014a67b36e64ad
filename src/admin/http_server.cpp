#include "admin/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <tuple>

#include "base/peer_address.hpp"
#include "config/value_formats.hpp"

namespace herald::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// A request line and a few headers; anything bigger is not a request of ours.
constexpr std::size_t kHeaderLimit = 8 * 1024;
// What a closing connection still reads and drops (see drain_then_close).
constexpr std::size_t kMaxDrain = 1024 * 1024;

std::string_view view(beast::string_view s) {
    return {s.data(), s.size()};
}

HttpRequest request_view(const http::request<http::string_body>& request,
                         const std::string& client_ip) {
    return HttpRequest{.method = view(request.method_string()),
                       .target = view(request.target()),
                       .host = view(request[http::field::host]),
                       .authorization = view(request[http::field::authorization]),
                       .origin = view(request[http::field::origin]),
                       .idempotency_key = view(request["Idempotency-Key"]),
                       .body = request.body(),
                       .client_ip = client_ip};
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

HttpResponse unreadable_request(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit) return json_error(431, "request header too large");
    if (ec == http::error::body_limit) {
        return json_error(413, "request body too large", "too_large");
    }
    return json_error(400, "malformed request", "malformed_request");
}

Result<std::unique_ptr<HttpServer>> HttpServer::bind(asio::any_io_executor executor,
                                                     std::string_view address, std::string what,
                                                     HttpServerSettings settings,
                                                     Responder responder) {
    auto parsed = config::parse_host_port(address);
    if (!parsed) return Error{what + ": " + parsed.error()};
    // The loader allows "localhost"; it means loopback, never a name looked up elsewhere.
    std::string host = parsed->host == "localhost" ? "127.0.0.1" : parsed->host;
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return Error{what + ": not an IP address"};
    tcp::endpoint endpoint(ip, parsed->port);
    tcp::acceptor acceptor(executor);
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
        return Error{what + ": cannot listen: " + ec.message()};
    }
    return std::unique_ptr<HttpServer>(
        new HttpServer(std::move(acceptor), std::move(settings), std::move(responder)));
}

HttpServer::HttpServer(tcp::acceptor acceptor, HttpServerSettings settings, Responder responder)
    : acceptor_(std::move(acceptor)),
      settings_(std::move(settings)),
      responder_(std::move(responder)) {}

HttpServer::~HttpServer() {
    close();
}

void HttpServer::close() {
    closing_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
}

std::string HttpServer::local_address() const {
    boost::system::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    if (ec) return "";
    return config::format_host_port({endpoint.address().to_string(), endpoint.port()});
}

asio::awaitable<void> HttpServer::serve() {
    auto executor = co_await asio::this_coro::executor;
    while (acceptor_.is_open()) {
        tcp::endpoint peer;  // from accept(): no getpeername() a connection
        auto [ec, socket] =
            co_await acceptor_.async_accept(peer, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        if (ec) continue;  // out of descriptors, a reset before accept: keep serving
        if (connections_ >= settings_.max_connections) continue;  // closes as it goes
        asio::co_spawn(executor, answer(std::move(socket), unmapped(peer.address()).to_string()),
                       asio::detached);
    }
}

asio::awaitable<void> HttpServer::answer(tcp::socket socket, std::string client_ip) {
    ++connections_;
    if (settings_.tls) {
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                                    *settings_.tls);
        beast::get_lowest_layer(stream).expires_after(settings_.io_timeout);
        auto [handshake_error] = co_await stream.async_handshake(
            asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (!handshake_error) {
            co_await exchange(stream, client_ip);
            beast::get_lowest_layer(stream).expires_after(settings_.io_timeout);
            co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
        }
        beast::get_lowest_layer(stream).close();
    } else {
        beast::tcp_stream stream(std::move(socket));
        co_await exchange(stream, client_ip);
        co_await drain_then_close(stream, settings_.io_timeout);
    }
    --connections_;
}

// Counts a connection among the requests under way while it lives, and not while it waits
// for a next request.
class UnderWay {
  public:
    explicit UnderWay(std::size_t& count) : count_(count) { ++count_; }
    ~UnderWay() {
        if (counted_) --count_;
    }
    UnderWay(const UnderWay&) = delete;
    UnderWay& operator=(const UnderWay&) = delete;
    void set(bool counted) {
        if (counted && !counted_) ++count_;
        if (!counted && counted_) --count_;
        counted_ = counted;
    }

  private:
    std::size_t& count_;
    bool counted_ = true;
};

// Requests and responses on one connection, until either side is done.
template <typename Stream>
asio::awaitable<void> HttpServer::exchange(Stream& stream, const std::string& client_ip) {
    auto& tcp = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer(kHeaderLimit + 4096);
    UnderWay under_way(requests_under_way_);  // a new connection comes with a request
    while (true) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        // Beast weighs Content-Length against the limit as the header ends: the largest any
        // path allows until the path is known.
        parser.body_limit(settings_.max_body_limit);
        tcp.expires_after(settings_.io_timeout);
        auto [read_error, n] = co_await http::async_read_header(
            stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        std::optional<HttpResponse> early;
        if (!read_error && settings_.before_body) {
            early = settings_.before_body(request_view(parser.get(), client_ip));
        }
        if (!read_error && !early && !parser.is_done()) {
            const auto target = view(parser.get().target());
            const std::size_t limit =
                settings_.body_limit ? settings_.body_limit(target.substr(0, target.find('?'))) : 0;
            const auto length = parser.content_length().value_or(0);
            parser.body_limit(limit);
            if (length > limit) read_error = http::error::body_limit;
            // A large body takes longer than a request line: the deadline grows with it, at
            // no less than 1 MiB a second.
            tcp.expires_after(settings_.io_timeout + std::chrono::seconds(length >> 20));
            if (!read_error) {
                std::tie(read_error, n) = co_await http::async_read(
                    stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
            }
        }
        // Gone, or silent too long: nobody to answer.
        if (read_error == http::error::end_of_stream ||
            read_error == http::error::partial_message || read_error == beast::error::timeout ||
            read_error == asio::error::connection_reset) {
            break;
        }
        const auto& request = parser.get();
        // An unread body cannot be told from the next request: the connection ends after.
        // So does one whose server is stopping.
        const bool keep_alive = !read_error && !early && request.keep_alive() && !closing_;
        HttpResponse response;
        if (read_error) {
            response = unreadable_request(read_error);
        } else if (early) {
            response = std::move(*early);
        } else {
            try {
                response = co_await responder_(request_view(request, client_ip));
            } catch (const std::exception& e) {
                response = json_error(500, e.what());
            }
        }
        auto out = to_beast(std::move(response), read_error ? 11 : request.version(), keep_alive);
        tcp.expires_after(settings_.io_timeout);
        auto [write_error, written] =
            co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
        if (write_error || !keep_alive || closing_) break;
        // Between requests: not under way until the next one's first bytes (perhaps
        // already read with this one's).
        if (buffer.size() > 0) continue;
        under_way.set(false);
        tcp.expires_after(settings_.io_timeout);
        auto [idle_error, first] = co_await stream.async_read_some(
            buffer.prepare(kHeaderLimit), asio::as_tuple(asio::use_awaitable));
        if (idle_error) break;
        buffer.commit(first);
        under_way.set(true);
    }
}

}  // namespace herald::admin
