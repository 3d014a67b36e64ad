#pragma once
// Many threads, one flush (group commit). Each caller adds its part to the open batch; one
// that finds no flush running becomes the leader: it takes the whole open batch, flushes it
// without holding the lock, and wakes every caller of that batch. Callers that arrive
// meanwhile form the next batch. A lone caller is never kept waiting: a batch closes as soon
// as the disk is free, not after a delay.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace herald::spool {

template <typename Contents>
class GroupCommit {
  public:
    // `add(Contents&)` puts the caller's part into the open batch, under the lock.
    // `flush(Contents&)` runs on the leader, one flush at a time, without the lock, and
    // returns "" or what went wrong. Returns what the flush of the caller's batch returned.
    template <typename Add, typename Flush>
    std::string commit(Add&& add, Flush&& flush) {
        std::unique_lock lock(mutex_);
        if (!open_) open_ = std::make_shared<Batch>();
        add(open_->contents);
        std::shared_ptr<Batch> mine = open_;
        while (!mine->done) {
            if (busy_) {
                finished_.wait(lock);
                continue;
            }
            // Lead: our batch is still open (an earlier leader would have marked it done).
            busy_ = true;
            std::shared_ptr<Batch> batch = std::move(open_);
            open_.reset();
            lock.unlock();
            std::string error = flush(batch->contents);
            lock.lock();
            batch->error = std::move(error);
            batch->done = true;
            busy_ = false;
            ++rounds_;
            finished_.notify_all();
        }
        return mine->error;
    }

    // How many flushes ran: lets tests and /metrics see that callers shared them.
    std::uint64_t rounds() const {
        std::lock_guard lock(mutex_);
        return rounds_;
    }

  private:
    struct Batch {
        Contents contents;
        bool done = false;
        std::string error;
    };

    mutable std::mutex mutex_;
    std::condition_variable finished_;
    std::shared_ptr<Batch> open_;
    bool busy_ = false;
    std::uint64_t rounds_ = 0;
};

}  // namespace herald::spool
