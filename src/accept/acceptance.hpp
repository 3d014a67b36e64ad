#pragma once
// The steps every message takes into the queue, in this order, whichever way it came in: an
// SMTP session (net/smtp_connection.cpp), `herald sendmail` (cli/sendmail_command.cpp) or the
// HTTP API (api/send_endpoint.cpp). Those are adapters: they turn what they read into a
// Submission, and what this answers into their own protocol's reply.
//
//   1. canonical addresses            } the envelope stage. SMTP asks the SessionGate at MAIL
//   2. sender and recipient policies  } and RCPT, an address at a time; sendmail and the API
//      (reject lists, relay rules,      give the whole envelope at once and call
//      local recipients, rate limits)   check_envelope() (envelope_check.hpp), the same gate
//   3. the signing decision           recipients who left the message's list (its List-Id)
//                                     refused when they are all of them; who may be signed
//                                     for (signing_decision.hpp); then the
//                                     one-click unsubscribe headers to add, if any
//                                     (compliance/unsubscribe_headers.hpp)
//   4. DKIM keys                      chosen for the From: domain, checked against DNS
//   5. preflight                      SPF/DKIM/DMARC alignment; reject mode waits for it;
//                                     then, for bulk mail, the compliance gate (the
//                                     providers' bulk-sender rules, compliance/bulk_gate.hpp)
//   6. the durable spool              header fixes (Received; Message-ID and Date for
//                                     submissions; masking), signatures, fsync (queue::Intake)
//   7. metrics, log lines and the scheduler
//
// Before them, step 0: a message to the [bounces] domain (a DSN, an ARF report) is read by
// reports::ReportIntake and never queued (its other recipients, if any, go on).
//
// Only once step 6 has returned an id may the client be told its message is taken.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "accept/pending_checks.hpp"
#include "base/blocking_pool.hpp"
#include "compliance/bulk_gate.hpp"
#include "compliance/unsubscribe_headers.hpp"
#include "mailauth/preflight.hpp"
#include "message/envelope.hpp"
#include "policy/policies.hpp"
#include "queue/intake.hpp"
#include "smtp/reply.hpp"

namespace herald::admin {
class Metrics;
}
namespace herald::dns {
class Resolver;
}
namespace herald::spool {
class IncomingText;
}

namespace herald::accept {

// One message on its way in, after the envelope stage.
struct Submission {
    message::Envelope envelope;
    // A submission (submission listener, sendmail, API): Message-ID and Date are added when
    // missing, and the client's address is masked when [relay] mask_client_ip says so.
    bool submission = false;
    bool add_missing_from = false;  // sendmail: From: the envelope sender when there is none
    std::string from_display_name;  // sendmail -F: the name that From: shows
    const spool::IncomingText* text = nullptr;  // the message as it came, in the spool
    std::uint64_t header_size = 0;              // octets of `text` in its header section
    std::string headers;                        // that header section, read back
    std::string client_reverse_name;            // for Received; may be empty
};

// Accepted with its queue id, or refused with the reply SMTP would give (the API and sendmail
// translate it: api/api_error.hpp, sendmail's exit codes).
using Verdict = std::variant<queue::Accepted, smtp::Reply>;

// What the steps use. The server's for its listeners and API; sendmail builds its own.
struct AcceptanceServices {
    queue::Intake* intake = nullptr;
    BlockingPool* pool = nullptr;
    std::string hostname;  // ours, for Received and as the preflight's HELO name
    dns::Resolver* resolver = nullptr;
    // Null: no preflight whatever the mode; the policies say whether [preflight] mode wants it.
    mailauth::Preflight* preflight = nullptr;
    admin::Metrics* metrics = nullptr;  // null: no [admin] http
    // The address mail from this sender leaves from, for SPF; "" when unknown.
    std::function<std::string(std::string_view sender)> sending_ip;
    std::function<void(const std::string&)> note;  // a mainlog line
    std::function<void(const std::string& id, const std::string& event)> message_event;
    std::function<void(const queue::Accepted&)> queued;  // hands a new message to the scheduler
    std::function<void(const std::string& context, const std::string& what)> panic;
    const compliance::UnsubscribeHeaders* unsubscribe = nullptr;  // null: no [unsubscribe]
    compliance::BulkGate* bulk_gate = nullptr;                    // null: [compliance] mode = "off"
    PendingChecks* pending_checks = nullptr;                      // null: no limit
    // The gate's verdict on an accepted message: a mainlog line and an event.
    std::function<void(const std::string& id, const compliance::BulkCandidate&,
                       const std::vector<compliance::RuleVerdict>&)>
        bulk_verdict;
};

// [bounces] domain (reports/report_intake.hpp): recipients that are report addresses. Their
// message is handed to take (on the pool) and never queued.
using ReportAddressTest = std::function<bool(std::string_view recipient)>;
using ReportTaker = std::function<void(
    std::string_view message, const std::vector<std::string>& recipients, std::string_view client)>;

class Acceptance {
  public:
    explicit Acceptance(AcceptanceServices services) : services_(std::move(services)) {}
    void set_reports(ReportAddressTest is_report_address, ReportTaker take) {
        is_report_address_ = std::move(is_report_address);
        take_report_ = std::move(take);
    }

    // Steps 3 to 7. `policies`: the set the submitter started with (a reload mid-session
    // must not mix two configs).
    boost::asio::awaitable<Verdict> accept(const Submission& submission,
                                           const policy::Policies& policies);

    // The same steps apart, for a batch that is queued whole or not at all (the API): every
    // message is prepared (3-5), then stored (6), then announced (7); should one store fail,
    // the ones stored before it are withdrawn before anything was announced.
    struct Prepared {
        const Submission* submission = nullptr;
        queue::IntakeOptions options;
        std::optional<mailauth::PreflightInput> preflight_later;  // log mode: after the 250
        std::optional<compliance::BulkCandidate> bulk;            // bulk mail that leaves
        // Reject mode: the gate's verdict, known before the 250; log mode: checked after.
        std::optional<std::vector<compliance::RuleVerdict>> bulk_verdicts;
    };
    boost::asio::awaitable<std::variant<Prepared, smtp::Reply>> prepare(
        const Submission& submission, const policy::Policies& policies);
    boost::asio::awaitable<Verdict> store(const Prepared& prepared);
    boost::asio::awaitable<void> announce(Prepared& prepared, const queue::Accepted& accepted);
    boost::asio::awaitable<void> withdraw(const queue::Accepted& accepted);

  private:
    // Step 0: reports to the bounce domain are read, not queued. The recipients left, if any;
    // nullopt when the message could not be read back (the client hears 451 and retries).
    boost::asio::awaitable<std::optional<std::vector<std::string>>> take_reports(
        const Submission& submission);

    // What leaves: the alignment preflight's view of it; nullopt when nothing is relayed or
    // it has no From: domain.
    std::optional<mailauth::PreflightInput> leaving(const Submission& submission,
                                                    const policy::Policies& policies,
                                                    const std::optional<std::string>& from_domain,
                                                    const queue::IntakeOptions& options) const;
    // Step 3a: when every recipient left the message's list, its refusal.
    std::optional<smtp::Reply> on_left_list(const Submission& submission,
                                            const policy::Policies& policies,
                                            const message::HeaderBlock& headers) const;
    // Step 7: a place for a log-mode check among those waiting on DNS; nullopt: none left.
    std::optional<PendingChecks::Slot> pending_check();
    // Step 5b: the compliance gate; a refusal in reject mode.
    boost::asio::awaitable<std::optional<smtp::Reply>> check_bulk(
        Prepared& prepared, const message::HeaderBlock& headers,
        const std::optional<mailauth::PreflightInput>& leaving);

    AcceptanceServices services_;
    ReportAddressTest is_report_address_;  // unset: no [bounces] domain
    ReportTaker take_report_;
};

}  // namespace herald::accept
