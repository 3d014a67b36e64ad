#pragma once
// HTTP/1.1 over Boost.Beast, plain or with TLS, for the admin server (admin_server.hpp) and
// for [[listener]] mode = "http" (the sending API alone). It moves bytes and bounds them: the
// header size, each path's body size, a deadline on every read and write (growing with a
// large body), a connection ceiling. What a request gets is the Responder's business.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "admin/http_types.hpp"
#include "base/result.hpp"

namespace herald::admin {

using Responder = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;

struct HttpServerSettings {
    // How long one request may take to arrive, or its response to leave: a client that
    // trickles bytes (slowloris) holds a descriptor no longer.
    std::chrono::milliseconds io_timeout = std::chrono::seconds(10);
    std::size_t max_connections = 32;  // more are refused, not queued
    // The largest body a request for a path may carry, and the largest of those.
    std::function<std::size_t(std::string_view path)> body_limit;
    std::size_t max_body_limit = 4 * 1024;
    // Asked once the header is in and before any body is read: a response here is sent
    // without reading the body (a sender without a credential cannot make us read 40 MiB).
    std::function<std::optional<HttpResponse>(const HttpRequest& header)> before_body;
    std::shared_ptr<boost::asio::ssl::context> tls;  // set: HTTPS
};

class HttpServer {
  public:
    // `address` is "host:port"; `what` names the listener in errors ("admin.http ...").
    static Result<std::unique_ptr<HttpServer>> bind(boost::asio::any_io_executor executor,
                                                    std::string_view address, std::string what,
                                                    HttpServerSettings settings,
                                                    Responder responder);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    boost::asio::awaitable<void> serve();
    // Stops accepting. A request under way still gets its response, with Connection: close;
    // a connection waiting between requests is left to the stop.
    void close();
    // Connections with a request under way: from accept, or from the first bytes of a
    // keep-alive connection's next request, until the response is written. A stop waits
    // for them, as for SMTP transactions.
    std::size_t requests_under_way() const { return requests_under_way_; }
    // The bound endpoint, e.g. "127.0.0.1:8025", for the start-up report.
    std::string local_address() const;

  private:
    HttpServer(boost::asio::ip::tcp::acceptor acceptor, HttpServerSettings settings,
               Responder responder);
    boost::asio::awaitable<void> answer(boost::asio::ip::tcp::socket socket, std::string client_ip);
    template <typename Stream>
    boost::asio::awaitable<void> exchange(Stream& stream, const std::string& client_ip);

    boost::asio::ip::tcp::acceptor acceptor_;
    HttpServerSettings settings_;
    Responder responder_;
    std::size_t connections_ = 0;
    std::size_t requests_under_way_ = 0;
    bool closing_ = false;
};

// Why a request could not be read, as the status that says so (RFC 6585 5, RFC 9110 15.5).
HttpResponse unreadable_request(const boost::system::error_code& ec);

}  // namespace herald::admin
