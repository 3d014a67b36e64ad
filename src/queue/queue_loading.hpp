#pragma once
// Start-up's second half. The server takes mail at once, whatever the size of the queue it
// finds; the queue is read meanwhile on threads of its own, the oldest message first (as
// Postfix's queue manager does), and each batch is handed to the scheduler on the event
// loop. /metrics shows how far it got (docs/spool.md, "Recovery at start-up").
#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "spool/spool.hpp"

namespace herald::queue {

class Scheduler;

struct QueueLoadFigures {
    bool loading = false;    // the queue found at start-up is still being read
    std::size_t found = 0;   // queue files found at start-up (known once they are listed)
    std::size_t loaded = 0;  // of them, handed to the scheduler so far
};

class QueueLoading {
  public:
    // `finished` runs on the event loop once every file was read, with what was found wrong
    // and how long it took.
    using Finished = std::function<void(const spool::RecoveryReport&, std::chrono::milliseconds)>;

    QueueLoading(boost::asio::any_io_executor executor, const spool::Spool& spool,
                 Scheduler& scheduler, Finished finished);
    ~QueueLoading();  // stop(), then waits for the thread
    QueueLoading(const QueueLoading&) = delete;
    QueueLoading& operator=(const QueueLoading&) = delete;

    void start();
    // The server stops: reading ends after the batch in hand, and nothing more is handed over.
    void stop();
    QueueLoadFigures figures() const;

  private:
    void load();
    bool hand_over(std::vector<spool::Spool::LoadedMessage>&& batch);  // on the thread
    void adopt(std::vector<spool::Spool::LoadedMessage>&& batch);      // on the event loop

    boost::asio::any_io_executor executor_;
    const spool::Spool& spool_;
    Scheduler& scheduler_;
    Finished finished_;

    std::atomic<bool> loading_{false};
    std::atomic<std::size_t> found_{0};
    std::atomic<std::size_t> loaded_{0};
    // Batches posted to the event loop and not yet adopted: a few at a time, so that a queue
    // read faster than the loop adopts it does not wait in memory as whole messages.
    std::mutex mutex_;
    std::condition_variable adopted_;
    std::size_t posted_ = 0;
    bool stopping_ = false;
    std::jthread thread_;
};

}  // namespace herald::queue
