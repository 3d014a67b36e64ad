#pragma once
// One outgoing SMTP connection and its conversation: the socket (SmtpStream) driven by the
// sans-I/O ClientSession. It carries one transaction at a time and may carry the next one
// (RSET, then the message) while it stays open: that is what lets the smtp transport reuse
// connections to a destination.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "delivery/transports/smtp_stream.hpp"
#include "smtp/client_session.hpp"

namespace herald::delivery {

// RFC 5321 4.5.3.2: how long to wait for each reply; connect and TLS are ours.
struct SmtpTimeouts {
    std::chrono::seconds connect{30};
    std::chrono::seconds tls_handshake{60};
    std::chrono::seconds greeting{300};    // 4.5.3.2.1
    std::chrono::seconds command{300};     // EHLO, STARTTLS, AUTH, RSET, QUIT: as MAIL
    std::chrono::seconds mail{300};        // 4.5.3.2.2
    std::chrono::seconds rcpt{300};        // 4.5.3.2.3
    std::chrono::seconds data_init{120};   // 4.5.3.2.4
    std::chrono::seconds data_block{180};  // 4.5.3.2.5: each write
    std::chrono::seconds final_dot{600};   // 4.5.3.2.6
    std::chrono::seconds quit{10};         // ours: a courtesy, never worth waiting for
};

// Where a connection goes and how it checks the peer.
struct ConnectionTarget {
    std::string ip;
    std::uint16_t port = 25;
    std::string source_ip;  // empty: the system chooses
    std::string peer_name;  // what the certificate must name when `verify`
    std::string where;      // "mx.example.net [192.0.2.1]:25", for log lines
    bool verify = false;
    // DANE (RFC 7672): the certificate must match one of these TLSA records instead (the
    // connection counts as verified).
    std::vector<dns::TlsaRecord> dane;
    bool implicit_tls = false;
};

// What became of TLS on a connection: what a TLS-RPT report counts.
struct TlsOutcome {
    enum class State { unknown, established, unavailable, failed };
    State state = State::unknown;  // unknown: the conversation ended before EHLO's answer
    long certificate_error = 0;    // X509_V_OK, or what the check found (SmtpStream)
};

// What one transaction over the connection came to.
struct Exchange {
    bool starttls_failed = false;
    // Absent when the conversation ended without a transaction (a 5xx greeting, for one).
    std::optional<smtp::TransactionResult> result;
};

class ClientConnection {
  public:
    using Log = std::function<void(const std::string&)>;

    ClientConnection(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
                     ConnectionTarget target, SmtpTimeouts timeouts, Log log);

    // Connects (and shakes hands, for implicit TLS); nothing is said yet.
    boost::asio::awaitable<Status> open();
    // The first message over a fresh connection: greeting, EHLO, STARTTLS, AUTH, transaction.
    boost::asio::awaitable<Exchange> send_first(const smtp::ClientSettings& settings,
                                                const smtp::OutboundMessage& message);
    // The next message over the same connection. Only when reusable().
    boost::asio::awaitable<Exchange> send_next(const smtp::OutboundMessage& message);
    // QUIT, then close; after a short wait at most.
    boost::asio::awaitable<void> close();

    bool reusable() const { return session_ && session_->idle(); }
    bool tls_active() const { return stream_.tls_active(); }
    // For the mainlog's X=: "TLSv1.3:TLS_AES_256_GCM_SHA384:verified" (or ":unverified"), or
    // "" without TLS.
    std::string tls_summary() const;
    std::size_t transactions() const { return transactions_; }
    TlsOutcome tls_outcome() const;
    std::string local_address() const { return stream_.local_address(); }
    const ConnectionTarget& target() const { return target_; }

  private:
    boost::asio::awaitable<Exchange> converse();
    boost::asio::awaitable<Status> start_tls();
    boost::asio::awaitable<void> write_output(std::chrono::seconds timeout);
    std::chrono::seconds timeout_for(smtp::ClientWait wait) const;

    ConnectionTarget target_;
    SmtpTimeouts timeouts_;
    Log log_;
    SmtpStream stream_;
    std::unique_ptr<smtp::ClientSession> session_;
    std::size_t transactions_ = 0;
    bool handshake_failed_ = false;
};

}  // namespace herald::delivery
