#pragma once
// A TCP connection that may turn to TLS part-way (STARTTLS) or from its start (port 465),
// as both ends of SMTP do: plain reads and writes until a handshake succeeds, TLS over the
// same socket after it. The TLS state (an OpenSSL SSL, its BIO pair and buffers: a few
// dozen allocations) is made only when TLS is first asked for, since most connections
// between mail servers on one network, and every smtp-source one, never ask.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <tuple>

#include "base/expiry.hpp"

namespace herald {

class UpgradableStream {
  public:
    using Socket = boost::asio::ip::tcp::socket;
    using TlsStream = boost::asio::ssl::stream<Socket&>;
    using Done = std::tuple<boost::system::error_code, std::size_t>;

    UpgradableStream(Socket socket, boost::asio::ssl::context& tls)
        : socket_(std::move(socket)), context_(tls) {}
    // Holds the socket its TLS stream points to: it stays where it is.
    UpgradableStream(const UpgradableStream&) = delete;
    UpgradableStream& operator=(const UpgradableStream&) = delete;

    Socket& socket() { return socket_; }
    // The TLS stream, made on the first call: to set its options, then to shake hands.
    TlsStream& tls() {
        if (!tls_) tls_.emplace(socket_, context_);
        return *tls_;
    }
    // Once a handshake succeeded, reads and writes go through TLS.
    void tls_established() { tls_active_ = true; }
    bool tls_active() const { return tls_active_; }

    boost::asio::awaitable<Done> read_some(boost::asio::mutable_buffer buffer) {
        if (tls_active_) co_return co_await tls_->async_read_some(buffer, with_error_code);
        co_return co_await socket_.async_read_some(buffer, with_error_code);
    }
    // All of `bytes`, or an error.
    boost::asio::awaitable<Done> write(boost::asio::const_buffer bytes) {
        if (tls_active_) co_return co_await boost::asio::async_write(*tls_, bytes, with_error_code);
        co_return co_await boost::asio::async_write(socket_, bytes, with_error_code);
    }

  private:
    Socket socket_;
    boost::asio::ssl::context& context_;
    std::optional<TlsStream> tls_;
    bool tls_active_ = false;
};

}  // namespace herald
