#include "delivery/transports/smtp_stream.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <tuple>

#include "base/expiry.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

Status failure(std::string_view what, bool timed_out, const boost::system::error_code& ec) {
    if (timed_out) return Error{std::string(what) + ": timed out"};
    return Error{std::string(what) + ": " + ec.message()};
}

}  // namespace

SmtpStream::SmtpStream(asio::any_io_executor executor, asio::ssl::context& tls)
    : stream_(tcp::socket(executor), tls), deadline_(executor, [this] {
          boost::system::error_code ignored;
          stream_.socket().cancel(ignored);
      }) {}

asio::awaitable<Status> SmtpStream::connect(const std::string& ip, std::uint16_t port,
                                            const std::string& source_ip,
                                            std::chrono::seconds timeout) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(ip, ec);
    if (ec) co_return Error{"bad address " + ip};
    const tcp::endpoint remote(address, port);
    tcp::socket& socket = stream_.socket();
    socket.open(remote.protocol(), ec);
    if (ec) co_return failure("socket", false, ec);
    if (!source_ip.empty()) {
        const auto source = asio::ip::make_address(source_ip, ec);
        if (ec || source.is_v6() != address.is_v6()) {
            co_return Error{"source address " + source_ip + " cannot reach " + ip};
        }
        socket.bind(tcp::endpoint(source, 0), ec);
        if (ec) co_return failure("bind to " + source_ip, false, ec);
    }
    deadline_.arm(timeout);
    std::tie(ec) = co_await socket.async_connect(remote, with_error_code);
    deadline_.disarm();
    timed_out_ = deadline_.expired();
    if (timed_out_ || ec) co_return failure("connect", timed_out_, ec);
    socket.set_option(tcp::no_delay(true), ec);
    if (const auto local = socket.local_endpoint(ec); !ec) {
        local_address_ = local.address().to_string();
    }
    co_return ok_status();
}

asio::awaitable<Status> SmtpStream::handshake(const std::string& peer_name, bool verify,
                                              std::chrono::seconds timeout) {
    SSL* ssl = stream_.tls().native_handle();
    boost::system::error_code ec;
    asio::ip::make_address(peer_name, ec);
    const bool is_ip = !ec;
    // RFC 6066 3: SNI carries host names only.
    if (!is_ip) SSL_set_tlsext_host_name(ssl, peer_name.c_str());
    // OpenSSL checks the name during chain verification (RFC 6125); without `verify` the
    // outcome is only noted (an MTA-STS policy in testing mode reports it, RFC 8461 5).
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, peer_name.c_str())
                            : SSL_set1_host(ssl, peer_name.c_str());
    if (named != 1 && verify) co_return Error{"cannot verify the name " + peer_name};
    stream_.tls().set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
    co_return co_await shake_hands(verify, timeout);
}

asio::awaitable<Status> SmtpStream::handshake_dane(const std::string& host,
                                                   const std::vector<dns::TlsaRecord>& tlsa,
                                                   std::chrono::seconds timeout) {
    SSL* ssl = stream_.tls().native_handle();
    // The host is the TLSA base domain: SNI, and the name a DANE-TA chain must carry.
    if (SSL_dane_enable(ssl, host.c_str()) <= 0) co_return Error{"cannot enable DANE for " + host};
    // RFC 7672 3.1.1: a DANE-EE match says all; the certificate's names do not matter.
    SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    int added = 0;
    for (const auto& record : tlsa) {
        const auto* data = reinterpret_cast<const unsigned char*>(record.data.data());
        if (SSL_dane_tlsa_add(ssl, record.usage, record.selector, record.matching_type, data,
                              record.data.size()) > 0) {
            ++added;
        }
    }
    // Without a record OpenSSL would fall back to the trust store: that is not DANE.
    if (added == 0) co_return Error{"no TLSA record of " + host + " is usable"};
    stream_.tls().set_verify_mode(asio::ssl::verify_peer);
    co_return co_await shake_hands(true, timeout);
}

asio::awaitable<Status> SmtpStream::shake_hands(bool verify, std::chrono::seconds timeout) {
    SSL* ssl = stream_.tls().native_handle();
    deadline_.arm(timeout);
    auto [ec] =
        co_await stream_.tls().async_handshake(asio::ssl::stream_base::client, with_error_code);
    deadline_.disarm();
    timed_out_ = deadline_.expired();
    certificate_error_ = SSL_get_verify_result(ssl);
    if (timed_out_ || ec) {
        if (!timed_out_ && verify && certificate_error_ != X509_V_OK) {
            co_return Error{std::string("certificate verification failed: ") +
                            X509_verify_cert_error_string(certificate_error_)};
        }
        co_return failure("TLS handshake", timed_out_, ec);
    }
    stream_.tls_established();
    co_return ok_status();
}

asio::awaitable<Result<std::string>> SmtpStream::read_some(std::chrono::seconds timeout) {
    std::array<char, 16384> buffer;
    deadline_.arm(timeout);
    const auto done = co_await stream_.async_read_some(asio::buffer(buffer), with_error_code);
    deadline_.disarm();
    const auto [ec, n] = done;
    timed_out_ = deadline_.expired();
    if (timed_out_) co_return Error{"timed out"};
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        co_return Error{"connection closed by the server"};
    }
    if (ec) co_return Error{ec.message()};
    co_return std::string(buffer.data(), n);
}

asio::awaitable<Status> SmtpStream::write(std::string_view bytes, std::chrono::seconds timeout) {
    deadline_.arm(timeout);
    const auto done = co_await stream_.async_write(asio::buffer(bytes), with_error_code);
    deadline_.disarm();
    const boost::system::error_code ec = std::get<0>(done);
    timed_out_ = deadline_.expired();
    if (timed_out_ || ec) co_return failure("write", timed_out_, ec);
    co_return ok_status();
}

asio::awaitable<void> SmtpStream::close() {
    boost::system::error_code ec;
    if (tls_active()) {
        // A bounded close_notify: a peer that never answers must not hold the connection.
        deadline_.arm(std::chrono::seconds(5));
        std::tie(ec) = co_await stream_.tls().async_shutdown(with_error_code);
        deadline_.disarm();
    }
    tcp::socket& socket = stream_.socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

std::string SmtpStream::tls_description() const {
    if (!tls_active()) return "";
    SSL* ssl = const_cast<SmtpStream*>(this)->stream_.tls().native_handle();
    return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

}  // namespace herald::delivery
