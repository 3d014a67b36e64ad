#pragma once
// One outgoing SMTP connection's byte stream: TCP (bound to a source address when configured),
// then TLS over the same socket after STARTTLS or from the start (port 465). Every operation
// has a deadline and reports failure as a value; nothing throws.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/io_deadline.hpp"
#include "base/result.hpp"
#include "base/upgradable_stream.hpp"
#include "dns/resolver.hpp"

namespace herald::delivery {

class SmtpStream {
  public:
    SmtpStream(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls);

    // `source_ip` empty: the system chooses. A source of the other family than `ip` fails.
    boost::asio::awaitable<Status> connect(const std::string& ip, std::uint16_t port,
                                           const std::string& source_ip,
                                           std::chrono::seconds timeout);

    // `verify`: the chain must verify against the context's trust store and the certificate
    // must name `peer_name` (a host name or an IP address). Otherwise anything is accepted,
    // and certificate_error() says what the check would have found.
    boost::asio::awaitable<Status> handshake(const std::string& peer_name, bool verify,
                                             std::chrono::seconds timeout);
    // DANE (RFC 7672): the certificate must match one of `tlsa` (usable for SMTP), the trust
    // store aside. The context must have had SSL_CTX_dane_enable().
    boost::asio::awaitable<Status> handshake_dane(const std::string& host,
                                                  const std::vector<dns::TlsaRecord>& tlsa,
                                                  std::chrono::seconds timeout);

    // Some bytes, or an error ("timed out", "connection closed by the server", ...).
    boost::asio::awaitable<Result<std::string>> read_some(std::chrono::seconds timeout);
    boost::asio::awaitable<Status> write(std::string_view bytes, std::chrono::seconds timeout);
    boost::asio::awaitable<void> close();

    bool tls_active() const { return stream_.tls_active(); }
    // After a handshake, failed or not: X509_V_OK, or why the certificate did not verify.
    long certificate_error() const { return certificate_error_; }
    // The address the connection goes from; "" before connect() succeeded.
    const std::string& local_address() const { return local_address_; }
    bool timed_out() const { return timed_out_; }
    // "TLSv1.3 TLS_AES_256_GCM_SHA384" once TLS is active.
    std::string tls_description() const;
    // The TLS session, for a report on the peer's certificate (herald doctor); null before
    // handshake() succeeded.
    SSL* tls_session() { return tls_active() ? stream_.tls().native_handle() : nullptr; }

  private:
    boost::asio::awaitable<Status> shake_hands(bool verify, std::chrono::seconds timeout);

    UpgradableStream stream_;
    IoDeadline deadline_;  // every wait's; cancels the socket's operations when it passes
    bool timed_out_ = false;
    long certificate_error_ = 0;  // X509_V_OK
    std::string local_address_;
};

}  // namespace herald::delivery
