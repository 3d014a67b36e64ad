#include "queue/queue_loading.hpp"

#include <malloc.h>

#include <boost/asio/post.hpp>

#include <memory>

#include "queue/scheduler.hpp"

namespace herald::queue {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxPostedBatches = 4;
}

QueueLoading::QueueLoading(asio::any_io_executor executor, const spool::Spool& spool,
                           Scheduler& scheduler, Finished finished)
    : executor_(std::move(executor)),
      spool_(spool),
      scheduler_(scheduler),
      finished_(std::move(finished)) {}

QueueLoading::~QueueLoading() {
    stop();
}

void QueueLoading::start() {
    loading_ = true;
    thread_ = std::jthread([this] { load(); });
}

void QueueLoading::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    adopted_.notify_all();
}

QueueLoadFigures QueueLoading::figures() const {
    return {.loading = loading_, .found = found_, .loaded = loaded_};
}

void QueueLoading::load() {
    const auto started = std::chrono::steady_clock::now();
    auto report = std::make_shared<spool::RecoveryReport>(spool_.load_queue(
        [this](std::vector<spool::Spool::LoadedMessage>&& batch) {
            return hand_over(std::move(batch));
        },
        [this](std::size_t found) { found_ = found; }));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    {
        std::unique_lock lock(mutex_);
        adopted_.wait(lock, [this] { return posted_ == 0 || stopping_; });
        if (stopping_) return;
    }
    // The messages were read on the spool's threads, each into its own malloc arena, and
    // freed on the event loop once adopted: those arenas are now mostly free pages that glibc
    // keeps resident. Handing them back takes a quarter of the RSS of a long queue at rest
    // (docs/performance.md).
    ::malloc_trim(0);
    asio::post(executor_, [this, report, took] {
        loading_ = false;
        finished_(*report, took);
    });
}

bool QueueLoading::hand_over(std::vector<spool::Spool::LoadedMessage>&& batch) {
    std::unique_lock lock(mutex_);
    adopted_.wait(lock, [this] { return posted_ < kMaxPostedBatches || stopping_; });
    if (stopping_) return false;
    ++posted_;
    auto shared = std::make_shared<std::vector<spool::Spool::LoadedMessage>>(std::move(batch));
    asio::post(executor_, [this, shared] { adopt(std::move(*shared)); });
    return true;
}

void QueueLoading::adopt(std::vector<spool::Spool::LoadedMessage>&& batch) {
    for (const auto& [message, schedule] : batch) scheduler_.adopt(message, schedule);
    loaded_ += batch.size();
    batch = {};  // freed before load() counts it adopted, so that its trim finds it free
    std::lock_guard lock(mutex_);
    --posted_;
    adopted_.notify_all();
}

}  // namespace herald::queue
