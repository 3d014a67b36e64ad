#pragma once
// A listening Unix socket at a path (the control socket, the sendmail socket), with its
// permissions from the first instant (umask at bind, never a chmod after, when someone could
// already have connected). A stale socket of an earlier run is replaced; closing removes it.
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <filesystem>
#include <functional>
#include <memory>

#include "base/result.hpp"

namespace herald::net {

class UnixSocketListener {
  public:
    using Socket = boost::asio::local::stream_protocol::socket;
    // One coroutine a client, spawned on the listener's executor.
    using Answer = std::function<boost::asio::awaitable<void>(Socket socket)>;

    static Result<std::unique_ptr<UnixSocketListener>> bind(boost::asio::any_io_executor executor,
                                                            const std::filesystem::path& path,
                                                            mode_t mode);
    ~UnixSocketListener();
    boost::asio::awaitable<void> serve(Answer answer);
    void close();

  private:
    UnixSocketListener(boost::asio::local::stream_protocol::acceptor acceptor,
                       std::filesystem::path path);

    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::filesystem::path path_;
};

// The uid of the process at the other end, as the kernel says (SO_PEERCRED); -1 if unknown.
uid_t peer_uid(UnixSocketListener::Socket& socket);

}  // namespace herald::net
