#pragma once
// One attempt at one message: every pending recipient through its transport, each outcome
// recorded durably and logged, a bounce for those that failed, a delay warning once the
// message is late, then either done (removed) or due again later.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/blocking_pool.hpp"
#include "delivery/transport_selector.hpp"
#include "events/reply_cause.hpp"
#include "log/main_log.hpp"
#include "message/delivery_report.hpp"
#include "queue/delay_warning.hpp"
#include "queue/retry_schedule.hpp"
#include "spool/schedule.hpp"

namespace herald::events {
class BounceClassifier;
}
namespace herald::log {
class MainLog;
}
namespace herald::spool {
class Spool;
struct SpooledMessage;
struct SpooledMessageWithData;
}  // namespace herald::spool

namespace herald::queue {

class Bouncer;
class QueueCensus;

// A deferral or bounce whose reply names a problem of the sender's (its bounce rule's cause),
// for the deferral explainer.
struct CausedFailure {
    std::string id;
    std::string recipient;
    std::string sender;       // the envelope sender
    std::string from_domain;  // the From: field's domain; "" when it has none
    std::string reply;
    events::ReplyCause cause = events::ReplyCause::none;
};

// What every attempt works with; owned by the Scheduler.
struct DeliveryContext {
    spool::Spool& spool;
    log::MainLog& mainlog;
    const delivery::TransportSelector& router;
    BlockingPool& pool;
    RetrySchedule retry;
    DelayWarningRule delay_warning;
    std::mt19937 rng{std::random_device{}()};
    Bouncer* bouncer = nullptr;                            // null: failures are only logged
    QueueCensus* census = nullptr;                         // null: nothing counts the queue
    std::function<void(const std::string&)> queued;        // schedules a new message (a bounce)
    const events::BounceClassifier* classifier = nullptr;  // null: failures have no category
    // Why mail from `sender` to `recipient` of the list `list_id` (its List-Id; "" for none)
    // must not go (a suppression list entry), checked before every attempt; nullopt: it may.
    // Unset: nothing is suppressed.
    std::function<std::optional<std::string>(std::string_view sender, std::string_view recipient,
                                             std::string_view list_id)>
        suppressed;
    // Each deferral or bounce with a cause, after its line is logged. Unset: not explained.
    std::function<void(CausedFailure)> explain;
};

class DeliveryAttempt {
  public:
    using Clock = std::chrono::system_clock;

    // `as_stored`: the message as the acceptance just stored it (queue::Accepted), read from
    // the spool when null.
    DeliveryAttempt(std::string id, DeliveryContext& context,
                    std::shared_ptr<spool::SpooledMessageWithData> as_stored = nullptr)
        : id_(std::move(id)),
          ctx_(context),
          router_(context.router.pinned()),
          as_stored_(std::move(as_stored)) {}

    // The time of the next attempt, or nullopt when the message needs none (done, gone, held).
    boost::asio::awaitable<std::optional<Clock::time_point>> run();

  private:
    // The message and its data, from as_stored_ or from the spool; nullopt when it is gone or
    // held.
    boost::asio::awaitable<std::optional<spool::SpooledMessage>> load();
    // One transport's results: final ones made durable in one trip to the pool, then logged.
    // Suppressed recipients end without a bounce, each with a `suppressed` event; expired ones
    // are bounced with their last deferral.
    enum class Recording { outcome, suppressed, expired };
    boost::asio::awaitable<void> record(const spool::SpooledMessage& message,
                                        std::string_view transport,
                                        const std::vector<delivery::RecipientResult>& results,
                                        Recording recording = Recording::outcome);
    boost::asio::awaitable<void> expire(const spool::SpooledMessage& message);
    boost::asio::awaitable<void> bounce(const spool::SpooledMessage& message);
    boost::asio::awaitable<void> report_success(const spool::SpooledMessage& message);
    void note_success(const spool::SpooledMessage& message,
                      const delivery::RecipientResult& result);
    boost::asio::awaitable<void> warn_of_delay(const spool::SpooledMessage& message);
    boost::asio::awaitable<std::optional<Clock::time_point>> finish(
        const spool::SpooledMessage& message);
    // Recipients still pending after this attempt, each with its last deferral: this
    // attempt's, or the one the schedule kept.
    std::vector<spool::Deferral> still_deferred(const spool::SpooledMessage& message) const;
    void count_gone();  // out of the queue: out of the census
    // Recipients whose addresses were suppressed since the message was queued: results that
    // end them without a bounce.
    std::vector<delivery::RecipientResult> drop_suppressed(const spool::SpooledMessage& message);
    // What the classifier makes of a failed or deferred recipient's reply, as the mainlog
    // and the events write it.
    struct Reading {
        std::string category;
        events::ReplyCause cause = events::ReplyCause::none;
    };
    Reading reading_of(const delivery::RecipientResult& result) const;
    // `result`, when the line is about one: its TLS and TLS policy.
    log::MessageContext context_for(const spool::SpooledMessage& message, const Reading& reading,
                                    const delivery::RecipientResult* result = nullptr) const;
    void explain(const spool::SpooledMessage& message, const delivery::RecipientResult& result,
                 const Reading& reading);

    std::string id_;
    DeliveryContext& ctx_;
    std::shared_ptr<const delivery::TransportSelector> router_;  // the one this attempt began with
    std::shared_ptr<spool::SpooledMessageWithData> as_stored_;
    std::optional<std::string> data_;
    std::string last_error_;
    bool attempted_ = false;                  // some recipient was really tried
    std::size_t pending_ = 0;                 // recipients without a final outcome
    bool removed_ = false;                    // done, and out of the queue already
    std::optional<Clock::time_point> paced_;  // the earliest time a paced recipient may go
    std::string message_id_;                  // the Message-ID: field, for the events
    std::string list_id_;                     // the List-Id: field's id, for the lists
    std::set<std::string> dropped_;           // recipients suppressed in this attempt
    unsigned attempt_ = 1;                    // this attempt's number
    std::optional<std::string> from_domain_;  // the From: domain, once a cause asks for it

    // What the reports to the sender (RFC 3464) are made of.
    std::vector<message::ReportedRecipient> failed_;
    std::vector<message::ReportedRecipient> succeeded_;  // whose NOTIFY asks for SUCCESS
    std::optional<spool::Schedule> saved_;               // as the last attempt left it
    std::map<std::string, spool::Deferral> deferred_;    // in this attempt, by recipient
    std::set<std::string> ended_;                        // recipients done in this attempt
    std::optional<Clock::time_point> warned_;            // the delay warning went in this attempt
};

}  // namespace herald::queue
