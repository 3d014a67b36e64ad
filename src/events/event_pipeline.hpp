#pragma once
// The events stage as the server runs it (docs/events.md): the bounce classifier, the hub
// and the sinks of [[event_sink]], built from the config; each webhook's sender started and
// stopped with the server; the counts /metrics shows.
#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <vector>

#include "base/blocking_pool.hpp"
#include "config/config.hpp"
#include "events/bounce_category.hpp"
#include "events/bounce_classifier.hpp"
#include "events/event_figures.hpp"
#include "events/event_hub.hpp"
#include "events/webhook_sink.hpp"

namespace herald::log {
class MainLog;
class PanicLog;
}  // namespace herald::log

namespace herald::events {

// The classifier of [bounces] rules, or of the built-in rules.
Result<BounceClassifier> load_bounce_classifier(const config::Bounces& bounces);
// What the loader cannot tell of the events stage, for check-config and start-up alike: a
// rules file that does not load, a webhook url that cannot be sent to. Every reason; empty
// when there is none.
std::vector<std::string> unusable(const config::Config& config);

class EventPipeline {
  public:
    static Result<std::unique_ptr<EventPipeline>> open(const config::Config& config,
                                                       boost::asio::any_io_executor executor,
                                                       BlockingPool& pool, log::MainLog& mainlog,
                                                       log::PanicLog& paniclog);

    EventHub& hub() { return hub_; }
    const BounceClassifier& classifier() const { return classifier_; }

    void start();  // the webhooks' senders, on the executor
    void stop();
    EventFigures figures() const;

  private:
    explicit EventPipeline(BounceClassifier classifier) : classifier_(std::move(classifier)) {}
    void count(const Event& event);

    BounceClassifier classifier_;
    EventHub hub_;
    boost::asio::any_io_executor executor_;
    std::vector<WebhookSink*> webhooks_;  // owned by the hub
    std::array<std::atomic<std::uint64_t>, kEventTypeNames.size()> by_type_{};
    // Bounces by category, synchronous [0] and asynchronous [1].
    std::array<std::array<std::atomic<std::uint64_t>, kBounceCategoryNames.size()>, 2> bounces_{};
};

}  // namespace herald::events
