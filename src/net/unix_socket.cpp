#include "net/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herald::net {

namespace asio = boost::asio;
using asio::local::stream_protocol;

Result<std::unique_ptr<UnixSocketListener>> UnixSocketListener::bind(
    asio::any_io_executor executor, const std::filesystem::path& path, mode_t mode) {
    std::error_code fs_ec;
    std::filesystem::remove(path, fs_ec);
    stream_protocol::acceptor acceptor(executor);
    boost::system::error_code ec;
    const mode_t old_mask = ::umask(~mode & 0777);
    acceptor.open(stream_protocol(), ec);
    if (!ec) acceptor.bind(path.string(), ec);
    ::umask(old_mask);
    if (!ec) acceptor.listen(64, ec);
    if (ec) return Error{path.string() + ": " + ec.message()};
    return std::unique_ptr<UnixSocketListener>(new UnixSocketListener(std::move(acceptor), path));
}

UnixSocketListener::UnixSocketListener(stream_protocol::acceptor acceptor,
                                       std::filesystem::path path)
    : acceptor_(std::move(acceptor)), path_(std::move(path)) {}

UnixSocketListener::~UnixSocketListener() {
    close();
}

void UnixSocketListener::close() {
    if (!acceptor_.is_open()) return;
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::error_code fs_ec;
    std::filesystem::remove(path_, fs_ec);
}

asio::awaitable<void> UnixSocketListener::serve(Answer answer) {
    auto executor = co_await asio::this_coro::executor;
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        asio::co_spawn(executor, answer(std::move(socket)), asio::detached);
    }
}

uid_t peer_uid(UnixSocketListener::Socket& socket) {
    ucred credentials{};
    socklen_t size = sizeof credentials;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
        return static_cast<uid_t>(-1);
    }
    return credentials.uid;
}

}  // namespace herald::net
