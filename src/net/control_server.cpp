#include "net/control_server.hpp"

#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/expiry.hpp"

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
    std::error_code fs_ec;
    std::filesystem::remove(path, fs_ec);  // a stale socket of a previous run
    stream_protocol::acceptor acceptor(executor);
    boost::system::error_code ec;
    // The socket is created 0600 from the start: only the owner may steer the queue.
    mode_t old_mask = ::umask(0077);
    if (acceptor.open(stream_protocol(), ec) || acceptor.bind(path.string(), ec) ||
        acceptor.listen(16, ec)) {
        ::umask(old_mask);
        return Error{"control socket " + path.string() + ": " + ec.message()};
    }
    ::umask(old_mask);
    return std::unique_ptr<ControlServer>(
        new ControlServer(std::move(acceptor), path, std::move(handler)));
}

ControlServer::ControlServer(stream_protocol::acceptor acceptor, std::filesystem::path path,
                             Handler handler)
    : acceptor_(std::move(acceptor)), path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
    close();
}

void ControlServer::close() {
    if (!acceptor_.is_open()) return;
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::error_code fs_ec;
    std::filesystem::remove(path_, fs_ec);
}

asio::awaitable<void> ControlServer::serve() {
    auto executor = co_await asio::this_coro::executor;
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        asio::co_spawn(executor, answer(std::move(socket)), asio::detached);
    }
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
