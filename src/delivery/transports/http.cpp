#include "delivery/transports/http.hpp"

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
#include "delivery/transports/http_response.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
using Outcome = RecipientResult::Outcome;
using Clock = std::chrono::steady_clock;

namespace {

// Large messages are written in blocks, each under what is left of the request's deadline.
constexpr std::size_t kWriteBlock = 65536;

// What is left until `deadline`, in whole seconds rounded up; empty once it has passed.
std::optional<std::chrono::seconds> left_until(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return std::nullopt;
    return std::chrono::ceil<std::chrono::seconds>(left);
}

// Sends the request; the first failure, if any. A server may answer before it has read the
// whole body (413, 401) and close: the caller reads that answer all the same.
asio::awaitable<Status> send(SmtpStream& stream, const HttpRequest& request,
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

asio::awaitable<void> receive(SmtpStream& stream, HttpResponseReader& reader,
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

HttpTransport::HttpTransport(const config::Transport& config, HttpTransportOptions options)
    : config_(config),
      options_(std::move(options)),
      url_(HttpUrl::parse(config.url)),
      format_(config.format == "json" ? HttpFormat::json : HttpFormat::rfc822),
      limiter_(config.max_connections),
      tls_(asio::ssl::context::tls_client) {
    boost::system::error_code ec;
    tls_.set_default_verify_paths(ec);
    if (!ec && !options_.ca_file.empty()) tls_.load_verify_file(options_.ca_file, ec);
    if (ec) tls_setup_error_ = "cannot load the trusted certificates: " + ec.message();
    SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
}

asio::awaitable<std::vector<RecipientResult>> HttpTransport::deliver(const Delivery& delivery) {
    std::vector<RecipientResult> results;
    if (delivery.recipients.empty()) co_return results;
    const Verdict verdict = co_await post(delivery);
    const std::string remote = url_ ? url_->authority() : "";
    for (const auto& recipient : delivery.recipients) {
        results.push_back({recipient, verdict.outcome, verdict.detail, remote});
    }
    co_return results;
}

asio::awaitable<HttpTransport::Verdict> HttpTransport::post(const Delivery& delivery) {
    if (!url_) {
        co_return Verdict{Outcome::deferred, "transport " + config_.name + ": " + url_.error()};
    }
    if (url_->tls && !tls_setup_error_.empty()) {
        co_return Verdict{Outcome::deferred, "transport " + config_.name + ": " + tls_setup_error_};
    }
    auto request = HttpRequest::build(*url_, format_, delivery);
    if (!request) co_return Verdict{Outcome::failed, request.error()};
    const std::string authority = url_->authority();
    auto permit = co_await limiter_.acquire(authority);
    auto ips = co_await addresses();
    if (!ips) co_return Verdict{Outcome::deferred, ips.error()};
    const auto deadline = Clock::now() + options_.timeouts.request;
    auto executor = co_await asio::this_coro::executor;
    std::string why;
    for (const std::string& ip : *ips) {
        const std::string where = ip == url_->host ? authority : authority + " [" + ip + "]";
        SmtpStream stream(executor, tls_);
        const auto left = left_until(deadline);
        if (!left) break;
        auto connected = co_await stream.connect(ip, url_->port, config_.source_address,
                                                 std::min(options_.timeouts.connect, *left));
        if (!connected) {
            why = "connect to " + where + ": " + connected.error();
            continue;  // the next address of the host may work
        }
        co_return co_await exchange(stream, where, *request, deadline);
    }
    if (why.empty()) why = "no time left to connect to " + authority;
    co_return Verdict{Outcome::deferred, why};
}

// One request and its response over a fresh connection, which is closed afterwards.
asio::awaitable<HttpTransport::Verdict> HttpTransport::exchange(SmtpStream& stream,
                                                                const std::string& where,
                                                                const HttpRequest& request,
                                                                Clock::time_point deadline) {
    if (url_->tls) {
        const auto left = left_until(deadline);
        Status shaken = Error{"timed out"};
        if (left) shaken = co_await stream.handshake(url_->host, true, *left);
        if (!shaken) {
            co_await stream.close();
            co_return Verdict{Outcome::deferred, "TLS with " + where + ": " + shaken.error()};
        }
    }
    const Status sent = co_await send(stream, request, deadline);
    HttpResponseReader reader;
    co_await receive(stream, reader, deadline);
    co_await stream.close();
    if (auto response = reader.response()) {
        co_return Verdict{response->outcome(), response->describe()};
    }
    co_return Verdict{Outcome::deferred, "no HTTP response from " + where + ": " +
                                             (sent ? reader.error() : sent.error())};
}

// An IP address as it is; a name through the system's resolver (getaddrinfo: /etc/hosts
// included, as for any other client on the machine).
asio::awaitable<Result<std::vector<std::string>>> HttpTransport::addresses() {
    boost::system::error_code ec;
    asio::ip::make_address(url_->host, ec);
    if (!ec) co_return std::vector<std::string>{url_->host};
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, options_.timeouts.connect);
    auto found = co_await (resolver.async_resolve(url_->host, std::to_string(url_->port),
                                                  asio::redirect_error(use_awaitable, ec)) ||
                           expiry(timer));
    if (found.index() == 1) co_return Error{"cannot resolve " + url_->host + ": timed out"};
    if (ec) co_return Error{"cannot resolve " + url_->host + ": " + ec.message()};
    std::vector<std::string> ips;
    for (const auto& entry : std::get<0>(found)) {
        std::string ip = entry.endpoint().address().to_string();
        if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(std::move(ip));
    }
    if (ips.empty()) co_return Error{"cannot resolve " + url_->host + ": no address"};
    co_return ips;
}

}  // namespace herald::delivery
