#pragma once
// A TCP connection that may turn to TLS part-way (STARTTLS) or from its start (port 465),
// as both ends of SMTP do: plain reads and writes until a handshake succeeds, TLS over the
// same socket after it. The TLS state (an OpenSSL SSL, its BIO pair and buffers: a few
// dozen allocations) is made only when TLS is first asked for, since most connections
// between mail servers on one network, and every smtp-source one, never ask.
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <utility>

namespace herald {

class UpgradableStream {
  public:
    using Socket = boost::asio::ip::tcp::socket;
    using TlsStream = boost::asio::ssl::stream<Socket&>;
    using Signature = void(boost::system::error_code, std::size_t);

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

    // Asynchronous operations of their own, not coroutines: the layer is picked when the
    // operation starts, with no coroutine frame of its own for every read and write.
    template <typename Token>
    auto async_read_some(boost::asio::mutable_buffer buffer, Token&& token) {
        return boost::asio::async_initiate<Token, Signature>(
            [this](auto handler, boost::asio::mutable_buffer into) {
                if (tls_active_) {
                    tls_->async_read_some(into, std::move(handler));
                } else {
                    socket_.async_read_some(into, std::move(handler));
                }
            },
            token, buffer);
    }
    // All of `bytes`, or an error.
    template <typename Token>
    auto async_write(boost::asio::const_buffer bytes, Token&& token) {
        return boost::asio::async_initiate<Token, Signature>(
            [this](auto handler, boost::asio::const_buffer from) {
                if (tls_active_) {
                    boost::asio::async_write(*tls_, from, std::move(handler));
                } else {
                    boost::asio::async_write(socket_, from, std::move(handler));
                }
            },
            token, bytes);
    }

  private:
    Socket socket_;
    boost::asio::ssl::context& context_;
    std::optional<TlsStream> tls_;
    bool tls_active_ = false;
};

}  // namespace herald
