#pragma once
// The client side of one SMTP connection, sans I/O: the mirror of ServerSession. Server bytes
// in, command bytes and events out. The caller (delivery/transports/smtp.cpp) owns the socket,
// TLS, timers and DNS; the session owns RFC 5321 and its extensions.
//
//   ClientSession session(settings, message);   // waits for the greeting
//   loop: write(session.take_output());
//         while (auto ev = session.take_event()) handle(*ev);   // StartTls, TransactionDone,
//         Closed if (session.closed()) break; read with the timeout for session.waiting_for();
//         session.receive(bytes)  or  session.connection_lost() / session.timed_out()
//
// After TransactionDone the session is idle: the caller sends the next message over the same
// connection (send_next(): RSET, then the transaction) or ends it (quit()).
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "message/dsn_request.hpp"

namespace herald::smtp {

struct ClientCredentials {
    std::string user;
    std::string password;
};

// What 8-bit mail becomes for a server that did not offer 8BITMIME (RFC 6152 3): the message
// in 7-bit MIME, or why it cannot be (the recipients then fail with 5.6.3).
using SevenBitConversion = std::function<Result<std::string>(std::string_view data)>;

struct ClientSettings {
    enum class Tls { none, opportunistic, required };
    std::string helo = "localhost";
    Tls tls = Tls::opportunistic;
    bool tls_active = false;  // implicit TLS (port 465): no STARTTLS
    std::optional<ClientCredentials> auth;
    // Empty: message::convert_to_seven_bit. The smtp transport also remakes Herald's own DKIM
    // signatures, which the conversion breaks.
    SevenBitConversion to_seven_bit;
};

// One message to send. `data` is the message as spooled (CRLF lines, not dot-stuffed); the
// session refers to it, so it must outlive the transaction.
struct OutboundMessage {
    std::string sender;  // "" for the null reverse-path
    std::vector<std::string> recipients;
    std::string_view data;
    bool smtputf8 = false;   // the sender asked for SMTPUTF8 (RFC 6531)
    bool body_8bit = false;  // BODY=8BITMIME (RFC 6152)
    // REQUIRETLS (RFC 8689): sent only over TLS to a server that offers REQUIRETLS, which then
    // owes the same to the next hop. Whether the TLS was validated is the transport's concern.
    bool require_tls = false;
    // DSN (RFC 3461): passed on as RET=, ENVID=, NOTIFY= and ORCPT= to a server that offers
    // DSN. `recipient_dsn` goes with `recipients`, index by index, or is empty.
    message::DsnReturn dsn_return = message::DsnReturn::unspecified;
    std::string envelope_id;
    std::vector<message::RecipientDsn> recipient_dsn;
};

enum class RecipientStatus { delivered, deferred, failed };

struct RecipientReply {
    std::string recipient;
    RecipientStatus status = RecipientStatus::deferred;
    std::string reply;  // "250 2.0.0 Ok: queued as X", or what went wrong locally
};

struct TransactionResult {
    std::vector<RecipientReply> recipients;  // in the order of OutboundMessage::recipients
    // The failure belongs to the host, not to the message (connection lost or refused before
    // the final dot, 4xx greeting, TLS or AUTH trouble, 421): the deferred recipients may be
    // tried at the next MX now (RFC 5321 5.1).
    bool try_next_host = false;
    // The server offered DSN and took the request with the message: it reports from here on.
    bool dsn_passed_on = false;
};

// Events: what the caller must do before the session can go on.
struct StartTlsNeeded {};  // handshake now; then tls_started() or tls_failed()
struct TransactionDone {
    TransactionResult result;
};
struct ConnectionClosed {};  // close the socket after writing take_output()
using ClientEvent = std::variant<StartTlsNeeded, TransactionDone, ConnectionClosed>;

// What the session waits for, so that the caller applies the RFC 5321 4.5.3.2 timeout.
enum class ClientWait {
    greeting,
    command,  // EHLO, HELO, STARTTLS, AUTH, RSET, QUIT
    mail,
    rcpt,
    data_init,
    final_dot,
    tls_handshake,
    nothing,  // idle between transactions, or closed
};

class ClientSession {
  public:
    ClientSession(ClientSettings settings, OutboundMessage message);
    ~ClientSession();
    ClientSession(const ClientSession&) = delete;
    ClientSession& operator=(const ClientSession&) = delete;

    void receive(std::string_view bytes);
    void connection_lost(std::string_view why = "connection lost");
    void timed_out();
    void tls_started();
    void tls_failed(std::string_view why);

    // When idle(): the next message over the same connection, or the end of it.
    // False when the session is not idle.
    bool send_next(OutboundMessage message);
    void quit();

    std::string take_output();
    std::optional<ClientEvent> take_event();

    ClientWait waiting_for() const;
    bool idle() const;
    bool closed() const;
    bool tls_active() const;
    // The server answered EHLO without STARTTLS, or refused it, when TLS was wanted.
    bool starttls_unavailable() const;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// The text as sent after DATA: CRLF line endings (a bare CR or LF becomes CRLF, so that no
// receiver can read a different end of data, RFC 5321 4.1.1.4), a '.' doubled at the start of
// a line (RFC 5321 4.5.2), and the end mark ".\r\n".
std::string dot_stuff(std::string_view data);

}  // namespace herald::smtp
