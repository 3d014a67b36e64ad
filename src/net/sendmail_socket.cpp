#include "net/sendmail_socket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/expiry.hpp"
#include "net/unix_socket.hpp"

namespace herald::net {

namespace asio = boost::asio;
using asio::local::stream_protocol;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t kMaxRequestLine = 1024 * 1024;  // recipients by the thousand fit
constexpr std::chrono::seconds kReplyTimeout{30};

}  // namespace

Result<std::unique_ptr<SendmailSocket>> SendmailSocket::bind(asio::any_io_executor executor,
                                                             const std::filesystem::path& path,
                                                             SendmailSocketLimits limits,
                                                             Handler handler) {
    auto listener = UnixSocketListener::bind(executor, path, 0666);
    if (!listener) return Error{"sendmail socket " + listener.error()};
    return std::unique_ptr<SendmailSocket>(
        new SendmailSocket(std::move(*listener), limits, std::move(handler)));
}

SendmailSocket::SendmailSocket(std::unique_ptr<UnixSocketListener> listener,
                               SendmailSocketLimits limits, Handler handler)
    : listener_(std::move(listener)), limits_(limits), handler_(std::move(handler)) {}

void SendmailSocket::close() {
    listener_->close();
}

asio::awaitable<void> SendmailSocket::serve() {
    co_await listener_->serve(
        [this](stream_protocol::socket socket) { return answer(std::move(socket)); });
}

asio::awaitable<void> SendmailSocket::answer(stream_protocol::socket socket) {
    struct Counted {
        std::size_t& clients;
        explicit Counted(std::size_t& c) : clients(++c) {}
        ~Counted() { --clients; }
    } counted(clients_);
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    smtp::Reply reply(421, "4.3.2", "too many sendmail clients at once");
    if (clients_ <= limits_.max_clients) reply = co_await take(socket);
    const std::string line = accept::encode_local_reply(reply);
    asio::steady_timer timer(co_await asio::this_coro::executor, kReplyTimeout);
    co_await (asio::async_write(socket, asio::buffer(line), asio::as_tuple(asio::use_awaitable)) ||
              expiry(timer));
}

// The request line, then the message until the client shuts its side; every read has
// read_timeout, and nothing beyond max_message_size is kept.
asio::awaitable<smtp::Reply> SendmailSocket::take(stream_protocol::socket& socket) {
    asio::steady_timer timer(co_await asio::this_coro::executor, limits_.read_timeout);
    asio::streambuf buffer(kMaxRequestLine);
    auto read = co_await (
        asio::async_read_until(socket, buffer, '\n', asio::as_tuple(asio::use_awaitable)) ||
        expiry(timer));
    if (read.index() == 1) co_return smtp::Reply(421, "4.4.2", "timed out waiting for the request");
    auto [ec, n] = std::get<0>(read);
    if (ec) co_return smtp::Reply(500, "5.5.2", "request line too long or incomplete");
    std::string data(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
    auto request = accept::parse_local_request(std::string_view(data).substr(0, n));
    if (!request) co_return smtp::Reply(500, "5.5.2", request.error());
    data.erase(0, n);
    char chunk[65536];
    while (true) {
        timer.expires_after(limits_.read_timeout);
        auto got = co_await (
            socket.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable)) ||
            expiry(timer));
        if (got.index() == 1) co_return smtp::Reply(421, "4.4.2", "timed out reading the message");
        auto [read_ec, size] = std::get<0>(got);
        if (read_ec == asio::error::eof) break;
        if (read_ec)
            co_return smtp::Reply(451, "4.3.0", "reading the message: " + read_ec.message());
        if (data.size() + size > limits_.max_message_size) {
            co_return smtp::Reply(552, "5.3.4", "message size exceeds fixed maximum message size");
        }
        data.append(chunk, size);
    }
    co_return co_await handler_(*request, peer_uid(socket), std::move(data));
}

}  // namespace herald::net
