#include "net/control_server.hpp"

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

// Only the owner may connect, but a stuck CLI (stopped in a pipe, a socat left open) must
// not hold a coroutine and its reply for ever: every read and write has this long.
constexpr std::chrono::seconds kControlTimeout{30};

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::bind(asio::any_io_executor executor,
                                                           const std::filesystem::path& path,
                                                           Handler handler) {
    // Only the owner may steer the queue.
    auto listener = UnixSocketListener::bind(executor, path, 0600);
    if (!listener) return Error{"control socket " + listener.error()};
    return std::unique_ptr<ControlServer>(
        new ControlServer(std::move(*listener), std::move(handler)));
}

ControlServer::ControlServer(std::unique_ptr<UnixSocketListener> listener, Handler handler)
    : listener_(std::move(listener)), handler_(std::move(handler)) {}

void ControlServer::close() {
    listener_->close();
}

asio::awaitable<void> ControlServer::serve() {
    co_await listener_->serve(
        [this](stream_protocol::socket socket) { return answer(std::move(socket)); });
}

asio::awaitable<void> ControlServer::answer(stream_protocol::socket socket) {
    asio::streambuf buffer(4096);
    asio::steady_timer timer(co_await asio::this_coro::executor, kControlTimeout);
    auto read = co_await (
        asio::async_read_until(socket, buffer, '\n', asio::as_tuple(asio::use_awaitable)) ||
        expiry(timer));
    if (read.index() == 1) co_return;  // silent too long: nobody to answer
    auto [ec, n] = std::get<0>(read);
    std::string reply;
    if (ec) {
        reply = "error request too long or incomplete\n";
    } else {
        std::string line(asio::buffers_begin(buffer.data()),
                         asio::buffers_begin(buffer.data()) + n);
        line.pop_back();
        std::string_view view(line);
        auto space = view.find(' ');
        std::string_view verb = view.substr(0, space);
        std::string_view argument = space == std::string_view::npos ? "" : view.substr(space + 1);
        reply = co_await handler_(verb, argument);
        reply += "\n";
    }
    // The action is done; a reply the client does not take is dropped when the time is up.
    timer.expires_after(kControlTimeout);
    co_await (asio::async_write(socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable)) ||
              expiry(timer));
}

}  // namespace herald::net
