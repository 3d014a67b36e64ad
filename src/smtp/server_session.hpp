#pragma once
// The server side of one SMTP conversation, sans I/O: bytes in, reply bytes and events out.
// The caller (net/) owns the socket, TLS, timers and the spool; the session owns RFC 5321.
//
//   session.start();                      // greeting
//   loop: write(session.take_output());
//         while (auto ev = session.take_event()) handle(*ev);   // StartTls, AuthRequest, ...
//         drain session.take_rejections() into the rejectlog
//         if (session.closed()) break;
//         session.receive(read_some());
//
// While an event is outstanding the session consumes no further input; it resumes when the
// caller reports the outcome (tls_started, auth_result, message_accepted/rejected). The
// exceptions are MessageData and DiscardMessage, which ask for no outcome: the message text
// comes out in pieces, in order with the other events, as DATA arrives, so that the caller
// writes it out instead of holding it (a client cannot pin its size in memory).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "message/envelope.hpp"
#include "smtp/reply.hpp"
#include "smtp/session_policy.hpp"

namespace herald::smtp {

struct SessionSettings {
    std::string hostname = "localhost";
    SessionMode mode = SessionMode::relay;
    std::size_t max_message_size = 36700160;
    std::size_t max_recipients = 100;
    std::size_t max_errors = 10;
    std::size_t max_received_headers = 30;
    // The header section is read back into memory at the end of DATA (DKIM key choice,
    // Received): bounded, unlike the body. Postfix's header_size_limit is 100 KiB, Exim's
    // 1 MiB; this leaves room for thousands of addresses in To:.
    std::size_t max_header_size = 256 * 1024;
    bool normalize_bare_line_endings = false;  // false: reject them (smuggling defence)
    bool tls_available = false;                // a certificate is loaded: offer STARTTLS
    bool tls_active = false;                   // implicit TLS (submissions)
    bool auth_available = false;               // accounts exist: offer AUTH
    bool allow_plaintext_auth = false;         // offer AUTH without TLS (loopback, by config)
    std::chrono::seconds command_timeout{300};
    std::chrono::seconds data_timeout{600};
    // Whether the spool has room now for a message of this many bytes (the caller asks the
    // file system); empty: not asked.
    std::function<bool(std::uint64_t size)> has_room_for;
};

struct ClientInfo {
    std::string ip;
    std::string reverse_name;  // empty when unknown
};

// Events: what the caller must do before the session can go on.
struct StartTls {};         // handshake now; then tls_started(), or drop the connection
struct CloseConnection {};  // after flushing take_output()
struct AuthRequest {        // verify, then auth_result()
    std::string user;
    std::string password;
};
struct MessageData {   // the next piece of the text after DATA: keep it (a file), no outcome
    std::string text;  // CRLF lines, dot-unstuffed; the pieces never hold the final ".\r\n"
};
struct PolicyQuery {};     // the policy's pending question (query_pending()): policy_answer()
struct DiscardMessage {};  // the text given since DATA was refused at its end: drop it
struct MessageReady {      // the text given since DATA is the message: make it durable,
                           // then message_accepted() or message_rejected()
    message::Envelope envelope;
    std::uint64_t size = 0;         // octets of text, all given in MessageData events
    std::uint64_t header_size = 0;  // of which the header section (HeaderBlock::end())
};
using SessionEvent = std::variant<StartTls, CloseConnection, AuthRequest, PolicyQuery, MessageData,
                                  DiscardMessage, MessageReady>;

// A refused command, for the rejectlog.
struct Rejection {
    std::string command;  // the command line, AUTH arguments elided
    Reply reply;
};

class ServerSession {
  public:
    ServerSession(SessionSettings settings, ClientInfo client, SessionPolicy& policy);
    ~ServerSession();
    ServerSession(const ServerSession&) = delete;
    ServerSession& operator=(const ServerSession&) = delete;

    void start();
    void receive(std::string_view bytes);

    std::string take_output();
    std::optional<SessionEvent> take_event();
    std::vector<Rejection> take_rejections();

    void tls_started();
    void auth_result(bool accepted);
    // AUTH refused before any password was checked (throttling: 454 4.7.0); the rejectlog
    // names the user tried.
    void auth_refused(const Reply& reply);
    // The answer to PolicyQuery: a refusal of the recipient asked about, or nullopt to take it.
    void policy_answer(const std::optional<Reply>& refusal);
    void message_accepted(std::string_view queue_id);
    void message_rejected(const Reply& reply);
    void timed_out();      // 421 4.4.2 and close
    void shutting_down();  // 421 4.3.2 and close

    // The timeout that applies to the next read: command or DATA.
    std::chrono::seconds read_timeout() const;
    bool closed() const;
    SessionView view() const;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace herald::smtp
