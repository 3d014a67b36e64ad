#pragma once
// [[event_sink]] type = "webhook": events wait in a durable Outbox and go out in batches,
// one request at a time, in order, signed (docs/events.md). take() only appends to the
// outbox, on the caller's thread; run() is the one coroutine that sends, on the event loop.
// Memory holds one batch; everything else waits on disk.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "base/blocking_pool.hpp"
#include "config/config.hpp"
#include "delivery/transports/http_client.hpp"
#include "events/event_sink.hpp"
#include "events/outbox.hpp"

namespace herald::log {
class MainLog;
class PanicLog;
}  // namespace herald::log

namespace herald::events {

struct WebhookCounts {
    std::size_t depth = 0;       // events in the outbox
    std::uint64_t failures = 0;  // requests that were not acknowledged
    std::uint64_t dead = 0;      // events moved to the dead-letter file
};

class WebhookSink final : public EventSink {
  public:
    WebhookSink(const config::EventSink& config, std::unique_ptr<Outbox> outbox,
                boost::asio::any_io_executor executor, BlockingPool& pool, log::MainLog& mainlog,
                log::PanicLog& paniclog);

    std::string_view name() const override { return config_.name; }
    void take(const Event& event, std::string_view json) override;

    // Sends until stop(); a batch in flight is finished or abandoned (it stays in the outbox).
    boost::asio::awaitable<void> run();
    void stop();
    WebhookCounts counts() const;

    // The X-Herald-Signature value for `body` at `unix_time`: t=<time>,v1=<hex HMAC-SHA256
    // of "<time>." + body>, as the receiver recomputes it.
    static std::string signature(std::string_view secret, std::string_view body,
                                 std::int64_t unix_time);

  private:
    using Clock = std::chrono::steady_clock;
    // What run() waits for: new events wake it, a batch filling up wakes it, a retry waits.
    enum class Waiting { none, events, batch, retry };
    boost::asio::awaitable<void> wait(Waiting why, Clock::duration how_long);
    boost::asio::awaitable<void> sync();
    boost::asio::awaitable<bool> send(const Outbox::Batch& batch);
    void wake();

    config::EventSink config_;
    std::unique_ptr<Outbox> outbox_;
    boost::asio::any_io_executor executor_;
    BlockingPool& pool_;
    log::MainLog& mainlog_;
    log::PanicLog& paniclog_;
    Result<delivery::HttpUrl> url_;
    delivery::HttpsContext tls_;
    delivery::HttpClient client_;
    boost::asio::steady_timer timer_;
    Waiting waiting_ = Waiting::none;  // on the event loop only
    std::atomic<bool> wake_posted_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint64_t> failures_{0};
    std::atomic<std::uint64_t> dead_{0};
};

}  // namespace herald::events
