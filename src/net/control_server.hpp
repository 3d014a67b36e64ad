#pragma once
// The local control socket (<spool_dir>/control.sock, mode 0600): how `herald queue flush`
// and friends reach the running server. One request line, one reply line:
//   "flush", "flush ID", "hold ID", "release ID", "delete ID", "bounce ID",
//   "reload", "reload force", "logrotate", "shaping" (JSON, delivery/shaping_status.hpp)
//   -> "ok <detail>" or "error <detail>"
// A handler is a coroutine: a request may wait (a reload reads the config on the blocking
// pool) without holding up the event loop.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "net/unix_socket.hpp"

namespace herald::net {

class ControlServer {
  public:
    // `verb` and `argument` stay valid until the handler's awaitable completes.
    using Handler = std::function<boost::asio::awaitable<std::string>(std::string_view verb,
                                                                      std::string_view argument)>;

    static Result<std::unique_ptr<ControlServer>> bind(boost::asio::any_io_executor executor,
                                                       const std::filesystem::path& path,
                                                       Handler handler);
    boost::asio::awaitable<void> serve();
    void close();

  private:
    ControlServer(std::unique_ptr<UnixSocketListener> listener, Handler handler);
    boost::asio::awaitable<void> answer(boost::asio::local::stream_protocol::socket socket);

    std::unique_ptr<UnixSocketListener> listener_;
    Handler handler_;
};

}  // namespace herald::net
