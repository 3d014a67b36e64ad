#include "state/redis_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/expiry.hpp"

namespace herald::state {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// A reply larger than this is not one Herald asked for: a server that sends endless bytes
// must not fill memory.
constexpr std::size_t kMaxBuffered = 64 * 1024 * 1024;

// Connecting takes a few round trips (TCP, TLS, AUTH): more than one command's deadline.
std::chrono::milliseconds connect_timeout(std::chrono::milliseconds timeout) {
    return std::max(timeout * 4, std::chrono::milliseconds(1000));
}

Result<std::shared_ptr<asio::ssl::context>> tls_context(const RedisSettings& settings) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    if (settings.tls_ca.empty()) {
        context->set_default_verify_paths(ec);
    } else {
        context->load_verify_file(settings.tls_ca.string(), ec);
    }
    if (ec) return Error{"cannot read the CA " + settings.tls_ca.string() + ": " + ec.message()};
    context->set_verify_mode(asio::ssl::verify_peer);
    return context;
}

bool is_push(const RedisValue& value) {
    return value.type == RedisValue::Type::array && value.elements.size() == 3 &&
           value.elements[0].text == "message";
}

}  // namespace

RedisConnection::RedisConnection(asio::any_io_executor executor, const RedisSettings& settings,
                                 std::shared_ptr<asio::ssl::context> tls, Push on_push)
    : executor_(executor),
      settings_(settings),
      tls_context_(tls ? std::move(tls)
                       : std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client)),
      stream_(executor, *tls_context_),
      on_push_(std::move(on_push)),
      closed_signal_(executor, std::chrono::steady_clock::time_point::max()) {}

asio::awaitable<Result<std::shared_ptr<RedisConnection>>> RedisConnection::open(
    asio::any_io_executor executor, const RedisSettings& settings, Push on_push) {
    std::shared_ptr<asio::ssl::context> tls;
    if (settings.url.tls) {
        auto context = tls_context(settings);
        if (!context) co_return Error{context.error()};
        tls = *context;
    }
    auto connection =
        std::make_shared<RedisConnection>(executor, settings, std::move(tls), std::move(on_push));
    if (auto connected = co_await connection->connect(); !connected) {
        connection->close(connected.error());
        co_return Error{connected.error()};
    }
    connection->open_ = true;
    asio::co_spawn(
        executor, [c = connection] { return c->read_replies(); }, asio::detached);
    if (auto logged_in = co_await connection->log_in(); !logged_in) {
        connection->close(logged_in.error());
        co_return Error{logged_in.error()};
    }
    co_return connection;
}

asio::awaitable<Status> RedisConnection::connect() {
    const auto& url = settings_.url;
    asio::steady_timer timer(executor_, connect_timeout(settings_.timeout));
    asio::ip::tcp::resolver resolver(executor_);
    auto resolved =
        co_await (resolver.async_resolve(url.host, std::to_string(url.port), with_error_code) ||
                  expiry(timer));
    if (resolved.index() == 1) co_return Error{"cannot resolve " + url.host + ": timed out"};
    auto [resolve_error, endpoints] = std::get<0>(resolved);
    if (resolve_error)
        co_return Error{"cannot resolve " + url.host + ": " + resolve_error.message()};
    auto connected = co_await (
        asio::async_connect(stream_.next_layer(), endpoints, with_error_code) || expiry(timer));
    if (connected.index() == 1) co_return Error{"connect: timed out"};
    if (auto [ec, endpoint] = std::get<0>(connected); ec)
        co_return Error{"connect: " + ec.message()};
    stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
    if (!url.tls) co_return ok_status();

    SSL* ssl = stream_.native_handle();
    boost::system::error_code ec;
    asio::ip::make_address(url.host, ec);  // only whether the host is an address
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ec) {
        SSL_set_tlsext_host_name(ssl, url.host.c_str());
        X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    }
    auto shaken = co_await (
        stream_.async_handshake(asio::ssl::stream_base::client, with_error_code) || expiry(timer));
    if (shaken.index() == 1) co_return Error{"TLS handshake: timed out"};
    if (auto [error] = std::get<0>(shaken); error) {
        const long verified = SSL_get_verify_result(ssl);
        if (verified != X509_V_OK) {
            co_return Error{std::string("TLS: the certificate does not verify: ") +
                            X509_verify_cert_error_string(verified)};
        }
        co_return Error{"TLS handshake: " + error.message()};
    }
    co_return ok_status();
}

asio::awaitable<Status> RedisConnection::log_in() {
    const auto& url = settings_.url;
    if (!url.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!url.user.empty()) auth.push_back(url.user);
        auth.push_back(url.password);
        auto reply = co_await command(std::move(auth));
        if (!reply) co_return Error{reply.error()};
        // The reply names no secret ("WRONGPASS invalid username-password pair ...").
        if (reply->is_error()) co_return Error{"Redis refused the login: " + reply->text};
    }
    // A command that needs no login: a Redis that wants one says NOAUTH here. PING for
    // database 0, which a Sentinel, knowing no SELECT, answers too.
    std::vector<std::string> probe{"PING"};
    if (url.db != 0) probe = {"SELECT", std::to_string(url.db)};
    auto reply = co_await command(std::move(probe));
    if (!reply) co_return Error{reply.error()};
    if (reply->is_error()) {
        co_return Error{"Redis refused " +
                        (url.db != 0 ? "SELECT " + std::to_string(url.db) : std::string("PING")) +
                        ": " + reply->text};
    }
    co_return ok_status();
}

asio::awaitable<Result<RedisValue>> RedisConnection::command(std::vector<std::string> args) {
    if (!open_) co_return Error{why_closed_.empty() ? "not connected" : why_closed_};
    auto self = shared_from_this();
    auto pending = std::make_shared<Pending>(executor_);
    pending->timer.expires_after(settings_.timeout);
    pending_.push_back(pending);
    out_ += encode_command(args);
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(
            executor_, [self] { return self->write_out(); }, asio::detached);
    }
    co_await pending->timer.async_wait(with_error_code);
    if (!pending->result) {
        close("no reply within " + std::to_string(settings_.timeout.count()) + " ms");
    }
    co_return std::move(*pending->result);
}

asio::awaitable<Result<RedisValue>> RedisConnection::run(const RedisScript& script,
                                                         std::vector<std::string> keys,
                                                         std::vector<std::string> args) {
    std::vector<std::string> call{"EVALSHA", script.sha1, std::to_string(keys.size())};
    call.insert(call.end(), keys.begin(), keys.end());
    call.insert(call.end(), args.begin(), args.end());
    auto reply = co_await command(call);
    if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
        call[0] = "EVAL";
        call[1] = script.text;
        reply = co_await command(std::move(call));
    }
    co_return reply;
}

asio::awaitable<void> RedisConnection::write_out() {
    auto self = shared_from_this();
    while (open_ && !out_.empty()) {
        std::string chunk = std::exchange(out_, std::string());
        auto [ec, n] =
            settings_.url.tls
                ? co_await asio::async_write(stream_, asio::buffer(chunk), with_error_code)
                : co_await asio::async_write(stream_.next_layer(), asio::buffer(chunk),
                                             with_error_code);
        if (ec) close("write: " + ec.message());
    }
    writing_ = false;
}

asio::awaitable<void> RedisConnection::read_replies() {
    auto self = shared_from_this();
    std::array<char, 16384> buffer;
    while (open_) {
        auto [ec, n] = settings_.url.tls
                           ? co_await stream_.async_read_some(asio::buffer(buffer), with_error_code)
                           : co_await stream_.next_layer().async_read_some(asio::buffer(buffer),
                                                                           with_error_code);
        if (ec) {
            close(ec == asio::error::eof ? "closed by Redis" : "read: " + ec.message());
            break;
        }
        if (auto fed = reader_.feed(std::string_view(buffer.data(), n)); !fed) {
            close(fed.error());
            break;
        }
        while (open_) {
            auto value = reader_.next();
            if (!value) {
                close(value.error());
                break;
            }
            if (!*value) break;
            take(std::move(**value));
        }
        if (reader_.buffered() > kMaxBuffered) close("a reply larger than 64 MiB");
    }
}

void RedisConnection::take(RedisValue value) {
    if (on_push_ && is_push(value)) {
        on_push_(value);
        return;
    }
    if (pending_.empty()) {
        close("a reply to no command: " + describe(value));
        return;
    }
    auto pending = std::move(pending_.front());
    pending_.pop_front();
    pending->result.emplace(std::move(value));
    pending->timer.cancel();
}

void RedisConnection::close(const std::string& why) {
    if (!why_closed_.empty() && !open_) return;
    open_ = false;
    why_closed_ = why;
    for (auto& pending : pending_) {
        pending->result.emplace(Error{why});
        pending->timer.cancel();
    }
    pending_.clear();
    boost::system::error_code ec;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
    closed_signal_.cancel();
}

asio::awaitable<std::string> RedisConnection::closed() {
    auto self = shared_from_this();
    if (open_) co_await closed_signal_.async_wait(with_error_code);
    co_return why_closed_;
}

}  // namespace herald::state
