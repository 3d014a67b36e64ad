#pragma once
// <spool_dir>/sendmail.sock (mode 0666): where `herald sendmail` hands a local user's message
// to the running server (accept/local_submission.hpp has the protocol). Any local user may
// connect, as any local user may run sendmail(1); the server asks the kernel who it is.
//
// Why a socket and not a set-group-id drop directory (Postfix's postdrop): no program runs
// with privileges a caller chose the environment of, a queued message is checked by the
// server's live policies and rate limits at once, and the caller learns the verdict. The
// price: while the server is down, only root and Herald's user can still queue (directly).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "accept/local_submission.hpp"
#include "base/result.hpp"
#include "net/unix_socket.hpp"
#include "smtp/reply.hpp"

namespace herald::net {

struct SendmailSocketLimits {
    std::size_t max_message_size = 0;
    std::chrono::seconds read_timeout{300};  // each read; a stalled writer is dropped
    std::size_t max_clients = 32;            // beyond: 421 at once, the message stays with them
};

class SendmailSocket {
  public:
    using Handler = std::function<boost::asio::awaitable<smtp::Reply>(
        const accept::LocalRequest& request, uid_t uid, std::string data)>;

    static Result<std::unique_ptr<SendmailSocket>> bind(boost::asio::any_io_executor executor,
                                                        const std::filesystem::path& path,
                                                        SendmailSocketLimits limits,
                                                        Handler handler);
    boost::asio::awaitable<void> serve();
    void close();
    // Connected now: a stop lets them finish (a submission under way gets its reply).
    std::size_t clients() const { return clients_; }

  private:
    SendmailSocket(std::unique_ptr<UnixSocketListener> listener, SendmailSocketLimits limits,
                   Handler handler);
    boost::asio::awaitable<void> answer(boost::asio::local::stream_protocol::socket socket);
    boost::asio::awaitable<smtp::Reply> take(boost::asio::local::stream_protocol::socket& socket);

    std::unique_ptr<UnixSocketListener> listener_;
    SendmailSocketLimits limits_;
    Handler handler_;
    std::size_t clients_ = 0;
};

}  // namespace herald::net
