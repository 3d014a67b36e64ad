#include "delivery/transports/http_client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <optional>

#include "base/expiry.hpp"
#include "delivery/transports/smtp_stream.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

// Large requests are written in blocks, each under what is left of the request's deadline.
constexpr std::size_t kWriteBlock = 65536;

// What is left until `deadline`, in whole seconds rounded up; empty once it has passed.
std::optional<std::chrono::seconds> left_until(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return std::nullopt;
    return std::chrono::ceil<std::chrono::seconds>(left);
}

// Sends the request; the first failure, if any. A server may answer before it has read the
// whole body (413, 401) and close: the caller reads that answer all the same.
asio::awaitable<Status> write_request(SmtpStream& stream, const HttpRequest& request,
                                      Clock::time_point deadline) {
    const std::string_view body = request.body();
    std::vector<std::string_view> blocks{request.head};
    for (std::size_t at = 0; at < body.size(); at += kWriteBlock) {
        blocks.push_back(body.substr(at, kWriteBlock));
    }
    for (const std::string_view block : blocks) {
        const auto left = left_until(deadline);
        if (!left) co_return Error{"write: timed out"};
        if (auto written = co_await stream.write(block, *left); !written) co_return written;
    }
    co_return ok_status();
}

asio::awaitable<void> read_response(SmtpStream& stream, HttpResponseReader& reader,
                                    Clock::time_point deadline) {
    while (!reader.done()) {
        const auto left = left_until(deadline);
        if (!left) {
            reader.end_of_stream("timed out");
            break;
        }
        auto read = co_await stream.read_some(*left);
        if (!read) {
            reader.end_of_stream(read.error());
            break;
        }
        reader.receive(*read);
    }
}

}  // namespace

asio::awaitable<Result<HttpResponse>> HttpClient::send(const HttpUrl& url,
                                                       const HttpRequest& request) const {
    auto ips = co_await addresses(url);
    if (!ips) co_return Error{ips.error()};
    co_return co_await send_to(*ips, url, request);
}

asio::awaitable<Result<HttpResponse>> HttpClient::send_to(const std::vector<std::string>& ips,
                                                          const HttpUrl& url,
                                                          const HttpRequest& request) const {
    const auto deadline = Clock::now() + timeouts_.request;
    const std::string authority = url.authority();
    auto executor = co_await asio::this_coro::executor;
    std::string why;
    for (const std::string& ip : ips) {
        const std::string where = ip == url.host ? authority : authority + " [" + ip + "]";
        SmtpStream stream(executor, tls_);
        const auto left = left_until(deadline);
        if (!left) break;
        auto connected = co_await stream.connect(ip, url.port, source_address_,
                                                 std::min(timeouts_.connect, *left));
        if (!connected) {
            why = "connect to " + where + ": " + connected.error();
            continue;  // the next address of the host may work
        }
        co_return co_await exchange(stream, url, where, request, deadline);
    }
    if (why.empty()) why = "no time left to connect to " + authority;
    co_return Error{why};
}

// One request and its response over a fresh connection, which is closed afterwards.
asio::awaitable<Result<HttpResponse>> HttpClient::exchange(SmtpStream& stream, const HttpUrl& url,
                                                           const std::string& where,
                                                           const HttpRequest& request,
                                                           Clock::time_point deadline) const {
    if (url.tls) {
        const auto left = left_until(deadline);
        Status shaken = Error{"timed out"};
        if (left) shaken = co_await stream.handshake(url.host, true, *left);
        if (!shaken) {
            co_await stream.close();
            co_return Error{"TLS with " + where + ": " + shaken.error()};
        }
    }
    const Status sent = co_await write_request(stream, request, deadline);
    HttpResponseReader reader;
    co_await read_response(stream, reader, deadline);
    co_await stream.close();
    if (auto response = reader.response()) co_return std::move(*response);
    co_return Error{"no HTTP response from " + where + ": " +
                    (sent ? reader.error() : sent.error())};
}

// An IP address as it is; a name through the system's resolver (getaddrinfo: /etc/hosts
// included, as for any other client on the machine).
asio::awaitable<Result<std::vector<std::string>>> HttpClient::addresses(const HttpUrl& url) const {
    boost::system::error_code ec;
    asio::ip::make_address(url.host, ec);
    if (!ec) co_return std::vector<std::string>{url.host};
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, timeouts_.connect);
    auto found = co_await (resolver.async_resolve(url.host, std::to_string(url.port),
                                                  asio::redirect_error(use_awaitable, ec)) ||
                           expiry(timer));
    if (found.index() == 1) co_return Error{"cannot resolve " + url.host + ": timed out"};
    if (ec) co_return Error{"cannot resolve " + url.host + ": " + ec.message()};
    std::vector<std::string> ips;
    for (const auto& entry : std::get<0>(found)) {
        std::string ip = entry.endpoint().address().to_string();
        if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(std::move(ip));
    }
    if (ips.empty()) co_return Error{"cannot resolve " + url.host + ": no address"};
    co_return ips;
}

HttpsContext::HttpsContext(const std::filesystem::path& ca_file)
    : tls(asio::ssl::context::tls_client) {
    boost::system::error_code ec;
    tls.set_default_verify_paths(ec);
    if (!ec && !ca_file.empty()) tls.load_verify_file(ca_file, ec);
    if (ec) error = "cannot load the trusted certificates: " + ec.message();
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
}

}  // namespace herald::delivery
