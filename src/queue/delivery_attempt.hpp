#pragma once
// One attempt at one message: every pending recipient through its transport, each outcome
// recorded durably and logged, a bounce for those that failed, then either done (removed) or
// due again later.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/blocking_pool.hpp"
#include "delivery/transport_selector.hpp"
#include "message/delivery_report.hpp"
#include "queue/retry_schedule.hpp"

namespace herald::log {
class MainLog;
}
namespace herald::spool {
class Spool;
struct SpooledMessage;
}  // namespace herald::spool

namespace herald::queue {

class Bouncer;
class QueueCensus;

// What every attempt works with; owned by the Scheduler.
struct DeliveryContext {
    spool::Spool& spool;
    log::MainLog& mainlog;
    const delivery::TransportSelector& router;
    BlockingPool& pool;
    RetrySchedule retry;
    std::mt19937 rng{std::random_device{}()};
    Bouncer* bouncer = nullptr;                      // null: failures are only logged
    QueueCensus* census = nullptr;                   // null: nothing counts the queue
    std::function<void(const std::string&)> queued;  // schedules a new message (a bounce)
};

class DeliveryAttempt {
  public:
    using Clock = std::chrono::system_clock;

    DeliveryAttempt(std::string id, DeliveryContext& context) : id_(std::move(id)), ctx_(context) {}

    // The time of the next attempt, or nullopt when the message needs none (done, gone, held).
    boost::asio::awaitable<std::optional<Clock::time_point>> run();

  private:
    // One transport's results: final ones made durable in one trip to the pool, then logged.
    boost::asio::awaitable<void> record(const spool::SpooledMessage& message,
                                        std::string_view transport,
                                        const std::vector<delivery::RecipientResult>& results);
    boost::asio::awaitable<void> expire(const spool::SpooledMessage& message);
    boost::asio::awaitable<void> bounce(const spool::SpooledMessage& message);
    boost::asio::awaitable<std::optional<Clock::time_point>> finish();
    void count_gone();  // out of the queue: out of the census

    std::string id_;
    DeliveryContext& ctx_;
    std::optional<std::string> data_;
    std::vector<message::FailedRecipient> failed_;
    std::string last_error_;
    bool attempted_ = false;                  // some recipient was really tried
    std::size_t pending_ = 0;                 // recipients without a final outcome
    bool removed_ = false;                    // done, and out of the queue already
    std::optional<Clock::time_point> paced_;  // the earliest time a paced recipient may go
};

}  // namespace herald::queue
