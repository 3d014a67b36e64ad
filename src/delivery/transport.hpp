#pragma once
// One way out for a message: SMTP to MX or smarthost, HTTP, a local mailbox, or nowhere.
// A transport delivers one message to some of its recipients and says, per recipient, what
// happened; the queue turns that into spool state, log lines, retries and bounces.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "message/envelope.hpp"

namespace herald::delivery {

// The return path one recipient's copy of a message goes from (VERP, docs/events.md), or
// nullopt for the envelope sender.
using ReturnPath = std::function<std::optional<std::string>(std::string_view message_id,
                                                            std::string_view recipient)>;

struct Delivery {
    std::string_view message_id;
    const message::Envelope& envelope;
    std::vector<std::string> recipients;  // the subset to deliver now
    std::string_view data;                // the message as spooled (CRLF)
};

struct RecipientResult {
    enum class Outcome { delivered, deferred, failed };
    std::string recipient;
    Outcome outcome = Outcome::deferred;
    std::string detail;       // remote reply or local error, for the log and the bounce
    std::string remote_host;  // "mx.example.net [192.0.2.1]", a path, or ""
    std::string tls;          // the connection's TLS ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or ""
    std::string tls_policy;   // smtp: what the destination asked (TlsPolicy::label()), or ""
    // Delivered: what a sender's NOTIFY=SUCCESS hears of it (RFC 3461 5.2): it reached its
    // mailbox ("delivered"), went on to a system that reports nothing further ("relayed"),
    // or the next hop took the DSN request over and reports itself (nothing from us).
    enum class Handoff { relayed, mailbox, next_hop_reports };
    Handoff handoff = Handoff::relayed;
    // Deferred without an attempt: the destination's pace lets it go at this time. Not a
    // failure, not logged as a deferral, not counted against the retry schedule.
    std::optional<std::chrono::steady_clock::time_point> paced_until;
    // Deferred after an attempt, by a reply that a shaping rule matched: try again at this
    // time (the provider's next slot), not after the retry schedule.
    std::optional<std::chrono::steady_clock::time_point> retry_at;
};

class Transport {
  public:
    virtual ~Transport() = default;
    virtual std::string_view name() const = 0;
    virtual boost::asio::awaitable<std::vector<RecipientResult>> deliver(
        const Delivery& delivery) = 0;
    // The administrator asked for a retry now (`herald queue flush`): what the transport
    // learned about unreachable destinations must not hold the mail back.
    virtual void forget_unreachable() {}
    // At shutdown: every parked connection says QUIT (RFC 5321 4.1.1.10) and closes; true
    // once all have.
    virtual void close_idle_connections() {}
    virtual bool connections_closed() const { return true; }
    // Connections open or parked to a mailbox provider (`herald shaping status`): the smtp
    // transport's in MX mode; 0 for the others.
    virtual std::size_t connections_to_provider(std::string_view provider) const { return 0; }
};

}  // namespace herald::delivery
