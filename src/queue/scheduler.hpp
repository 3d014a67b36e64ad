#pragma once
// Takes queued messages out: delivers each through its transports, records every recipient's
// outcome durably, and brings deferred messages back per the retry schedule. Only ids and
// times are held in memory; envelopes and bodies stay on disk until a delivery needs them,
// but for a small message just accepted, whose first delivery is handed it as stored.
// So does what a delay warning needs (each recipient's last deferral, whether the sender was
// warned): it is in the message's schedule file, read by each attempt, and a message not yet
// warned is brought back when its warning falls due.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/blocking_pool.hpp"
#include "delivery/transport_selector.hpp"
#include "queue/delay_warning.hpp"
#include "queue/delivery_attempt.hpp"
#include "queue/message_key.hpp"
#include "queue/retry_schedule.hpp"
#include "spool/schedule.hpp"

namespace herald::log {
class MainLog;
}
namespace herald::spool {
class Spool;
struct SpooledMessage;
struct SpooledMessageWithData;
}  // namespace herald::spool

namespace herald::queue {

// Just-stored messages waiting for their first delivery, all together: beyond it, a delivery
// reads its message from the spool as a retry does. A burst of small messages fits; a
// backlog behind max_active does not hold its texts in memory.
inline constexpr std::size_t kJustStoredMemory = 8 * 1024 * 1024;

struct SchedulerSettings {
    std::size_t max_active = 64;  // messages in delivery at once
    RetrySchedule retry;
    DelayWarningRule delay_warning;                        // default: no warnings
    const events::BounceClassifier* classifier = nullptr;  // DeliveryContext says what for
    decltype(DeliveryContext::suppressed) suppressed;
    decltype(DeliveryContext::explain) explain;
};

class Scheduler {
  public:
    using Clock = std::chrono::system_clock;

    Scheduler(boost::asio::any_io_executor executor, spool::Spool& spool, log::MainLog& mainlog,
              const delivery::TransportSelector& router, BlockingPool& pool,
              SchedulerSettings settings, Bouncer* bouncer, QueueCensus* census = nullptr);

    // A message found in the spool at start-up (QueueLoading hands them over while the
    // server runs): due at its saved next-attempt time (or now), and counted in the census.
    // One the scheduler already has (stored and queued since start-up) is left as it is; one
    // loaded after a flush of the whole queue is due now (it was queued when the flush came).
    void adopt(const spool::SpooledMessage& message, const std::optional<spool::Schedule>& saved);
    // Due now. `as_stored`, when given, is the message as just stored (queue::Accepted): its
    // first delivery starts from it instead of the spool, while kJustStoredMemory allows.
    void enqueue_now(const std::string& id,
                     std::shared_ptr<spool::SpooledMessageWithData> as_stored = nullptr);
    void flush(const std::optional<std::string>& id);  // all deferred (or one) due now
    void forget(const std::string& id);                // held by the administrator
    void removed(const std::string& id);               // deleted by the administrator
    void stop();
    // A reload's [queue]: attempts go by these retry and warning rules from their next step on.
    void use_rules(RetrySchedule retry, DelayWarningRule delay_warning);

    std::size_t queued() const { return due_at_.size(); }
    std::size_t active() const { return active_.size(); }
    // The router deliveries ask: the queue commands name transports as it does.
    const delivery::TransportSelector& router() const { return context_.router; }
    std::function<void(const std::string&, const std::string&)> panic;

  private:
    struct Due {
        Clock::time_point at;
        MessageKey id;
        bool operator>(const Due& other) const { return at > other.at; }
    };

    void schedule(const MessageKey& id, Clock::time_point at);
    bool enter(const MessageKey& id, Clock::time_point at);  // true: due now, in ready_
    void pump();
    void arm_timer();
    boost::asio::awaitable<void> deliver(MessageKey id);
    void keep_as_stored(const MessageKey& id,
                        std::shared_ptr<spool::SpooledMessageWithData> message);
    std::shared_ptr<spool::SpooledMessageWithData> take_as_stored(const MessageKey& id);
    boost::asio::awaitable<void> wait_for_due();

    boost::asio::any_io_executor executor_;
    std::size_t max_active_;
    DeliveryContext context_;

    std::unordered_map<MessageKey, Clock::time_point, MessageKeyHash> due_at_;  // authoritative
    std::priority_queue<Due, std::vector<Due>, std::greater<>> waiting_;        // lazily pruned
    std::deque<MessageKey> ready_;
    std::unordered_set<MessageKey, MessageKeyHash> active_;
    // Until their first delivery starts (or they are held or deleted), within kJustStoredMemory.
    std::unordered_map<MessageKey, std::shared_ptr<spool::SpooledMessageWithData>, MessageKeyHash>
        as_stored_;
    std::size_t as_stored_bytes_ = 0;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;
    bool flushed_all_ = false;  // since the start: what adopt() takes after it is due now
};

}  // namespace herald::queue
