#pragma once
// The one way into the queue, for SMTP and for `herald sendmail` alike: finish the message
// (Received, Message-ID/Date on submission, DKIM signatures), write it durably, log its
// arrival. Signing here, once, means the spool holds the signed message: a retry never
// signs again. Only
// when accept() returns an id may the client be told 250.
//
// The text comes in a spool::IncomingText (in memory while it is small, else a file in the
// spool written as it arrived): only its header section is read into memory; a large body is
// hashed for DKIM in chunks and copied into the queue file by the kernel, so a message costs
// at most spool::kTextKeptInMemory of memory whatever its size.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/result.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "message/envelope.hpp"

namespace herald {
class BlockingPool;
}
namespace herald::log {
class MainLog;
}
namespace herald::spool {
class IncomingText;
class Spool;
struct SpooledMessageWithData;
}  // namespace herald::spool

namespace herald::queue {

class QueueCensus;

struct IntakeOptions {
    std::string hostname;             // our name, for Received
    std::string client_reverse_name;  // for Received; may be empty
    bool mask_client = false;         // submission with relay.mask_client_ip
    bool add_missing_ids = false;     // submission: Message-ID and Date when missing
    bool add_missing_from = false;    // sendmail: From: the envelope sender when missing
    std::string from_display_name;    // sendmail -F: that From:'s display name
    // The DKIM signatures to add, on the message as finished here (Keyring::choose).
    std::vector<mailauth::dkim::SigningChoice> dkim;
    std::string preflight;     // the verdict, logged after the arrival; "" when not checked
    std::string added_fields;  // header fields decided before (List-Unsubscribe), CRLF-ended
    std::string note;          // about the message, logged after the arrival; "" for none
};

struct IntakeFailure {
    bool disk_full = false;  // 452 4.3.1 rather than 451 4.3.0
    std::string message;
};

struct Accepted {
    std::string id;
    // The message as its first delivery would read it back from the spool, when its text was
    // small enough to arrive in memory (spool::kTextKeptInMemory): handed to the scheduler,
    // that delivery starts without a trip to the disk. Null for a larger one.
    std::shared_ptr<spool::SpooledMessageWithData> as_stored;
};

class Intake {
  public:
    // `census`, when given, counts every message queued here (the server's; not sendmail's).
    Intake(spool::Spool& spool, log::MainLog& mainlog, QueueCensus* census = nullptr)
        : spool_(spool), mainlog_(mainlog), census_(census) {}

    // A text to come (spool::Spool::create_incoming): no I/O.
    spool::IncomingText incoming();

    // Blocking (reads, fsync): call it off the event loop. Thread-safe. `header_size`: the
    // octets of `text` that are its header section (header_section_end(text)).
    std::variant<Accepted, IntakeFailure> accept(const message::Envelope& envelope,
                                                 const spool::IncomingText& text,
                                                 std::uint64_t header_size,
                                                 const IntakeOptions& options);
    // accept() for a caller on the event loop. A text in memory is stored from the loop
    // itself: nothing in that blocks, and the journal's flush is awaited (the spool keeps
    // its file in memory till the checkpoint). Only its signing, if any, goes to `pool`. A
    // text on disk, or one the spool has no memory left for, goes to `pool` whole.
    boost::asio::awaitable<std::variant<Accepted, IntakeFailure>> accept_from_loop(
        const message::Envelope& envelope, const spool::IncomingText& text,
        std::uint64_t header_size, const IntakeOptions& options, BlockingPool& pool);
    // For texts made in memory (sendmail, bounces): into an incoming text, then the same way
    // as above.
    std::variant<Accepted, IntakeFailure> accept(const message::Envelope& envelope,
                                                 std::string data, const IntakeOptions& options);

    // Takes back a message accepted here but never handed to the scheduler: one of a batch
    // that is queued whole or not at all (accept::Acceptance). Blocking, like accept().
    void withdraw(const std::string& id);

  private:
    struct Finished {
        std::string id;
        std::string head;  // the header section as stored: stamped, signed
    };
    // The message made ready to store: its id, and its header section stamped and signed.
    std::variant<Finished, IntakeFailure> finish(const message::Envelope& envelope,
                                                 const spool::IncomingText& text,
                                                 std::uint64_t header_size,
                                                 const IntakeOptions& options);
    // Stored: counted, logged, and handed back as its first delivery will read it.
    Accepted arrived(const Finished& message, const message::Envelope& envelope,
                     const spool::IncomingText& text, std::uint64_t header_size,
                     const IntakeOptions& options);

    spool::Spool& spool_;
    log::MainLog& mainlog_;
    QueueCensus* census_;
};

}  // namespace herald::queue
