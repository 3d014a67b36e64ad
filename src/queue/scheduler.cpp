#include "queue/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "queue/delivery_attempt.hpp"
#include "queue/queue_census.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

namespace asio = boost::asio;

Scheduler::Scheduler(asio::any_io_executor executor, spool::Spool& spool, log::MainLog& mainlog,
                     const delivery::TransportSelector& router, BlockingPool& pool,
                     SchedulerSettings settings, Bouncer* bouncer, QueueCensus* census)
    : executor_(executor),
      max_active_(settings.max_active),
      context_{.spool = spool,
               .mainlog = mainlog,
               .router = router,
               .pool = pool,
               .retry = std::move(settings.retry),
               .delay_warning = settings.delay_warning,
               .bouncer = bouncer,
               .census = census,
               .queued = [this](const std::string& id) { enqueue_now(id); },
               .classifier = settings.classifier,
               .suppressed = std::move(settings.suppressed),
               .explain = std::move(settings.explain)},
      timer_(executor) {
    asio::co_spawn(executor_, wait_for_due(), asio::detached);
}

void Scheduler::adopt(const spool::SpooledMessage& message,
                      const std::optional<spool::Schedule>& saved) {
    const MessageKey id = key_of(message.id);
    if (due_at_.contains(id) || active_.contains(id)) return;
    if (context_.census) context_.census->place(message);
    const auto now = Clock::now();
    // Every message loaded was in the spool when a flush came during the loading: it asked
    // them all to go now, not only those loaded before it.
    schedule(id, saved && !flushed_all_ ? std::max(saved->next_attempt, now) : now);
}

void Scheduler::enqueue_now(const std::string& id,
                            std::shared_ptr<spool::SpooledMessageWithData> as_stored) {
    const MessageKey key = key_of(id);
    if (as_stored) keep_as_stored(key, std::move(as_stored));
    schedule(key, Clock::now());
}

void Scheduler::keep_as_stored(const MessageKey& id,
                               std::shared_ptr<spool::SpooledMessageWithData> message) {
    const std::size_t size = message->message.data_size;
    if (stopped_ || as_stored_bytes_ + size > kJustStoredMemory || as_stored_.contains(id)) return;
    as_stored_bytes_ += size;
    as_stored_.emplace(id, std::move(message));
}

std::shared_ptr<spool::SpooledMessageWithData> Scheduler::take_as_stored(const MessageKey& id) {
    auto it = as_stored_.find(id);
    if (it == as_stored_.end()) return nullptr;
    auto message = std::move(it->second);
    as_stored_.erase(it);
    as_stored_bytes_ -= message->message.data_size;
    return message;
}

void Scheduler::flush(const std::optional<std::string>& id) {
    context_.router.forget_unreachable();
    auto now = Clock::now();
    if (id) {
        const MessageKey key = key_of(*id);
        if (due_at_.contains(key) || !active_.contains(key)) schedule(key, now);
        return;
    }
    flushed_all_ = true;
    std::vector<MessageKey> ids;
    for (const auto& [queued_id, at] : due_at_) {
        if (at > now) ids.push_back(queued_id);
    }
    for (const auto& queued_id : ids) schedule(queued_id, now);
}

void Scheduler::use_rules(RetrySchedule retry, DelayWarningRule delay_warning) {
    context_.retry = std::move(retry);
    context_.delay_warning = delay_warning;
}

void Scheduler::forget(const std::string& id) {
    const MessageKey key = key_of(id);
    due_at_.erase(key);
    take_as_stored(key);  // held or deleted: the spool says what it is now
}

void Scheduler::removed(const std::string& id) {
    forget(id);
    if (context_.census) context_.census->remove(id);
}

void Scheduler::stop() {
    stopped_ = true;
    as_stored_.clear();
    as_stored_bytes_ = 0;
    timer_.cancel();
}

void Scheduler::schedule(const MessageKey& id, Clock::time_point at) {
    if (stopped_) return;
    const bool earliest = waiting_.empty() || at < waiting_.top().at;
    if (enter(id, at)) {
        pump();
    } else if (earliest) {
        timer_.cancel();  // wait_for_due() re-reads the earliest time
    }
}

bool Scheduler::enter(const MessageKey& id, Clock::time_point at) {
    due_at_[id] = at;
    if (at <= Clock::now()) {
        ready_.push_back(id);
        return true;
    }
    waiting_.push({at, id});
    return false;
}

void Scheduler::pump() {
    while (!stopped_ && active_.size() < max_active_ && !ready_.empty()) {
        MessageKey id = std::move(ready_.front());
        ready_.pop_front();
        if (!due_at_.contains(id) || active_.contains(id)) continue;
        active_.insert(id);
        asio::co_spawn(executor_, deliver(std::move(id)), asio::detached);
    }
}

asio::awaitable<void> Scheduler::deliver(MessageKey id) {
    DeliveryAttempt attempt(std::string(id.data(), id.size()), context_, take_as_stored(id));
    std::optional<Clock::time_point> next;
    try {
        next = co_await attempt.run();
    } catch (const std::exception& e) {
        // Ours, not the message's: keep it queued and try again later.
        if (panic) panic("delivery of " + std::string(id.data(), id.size()), e.what());
        next = Clock::now() + context_.retry.delay_after(1);
    }
    active_.erase(id);
    due_at_.erase(id);
    if (next) schedule(id, *next);
    pump();
}

asio::awaitable<void> Scheduler::wait_for_due() {
    pump();  // what was made ready before the event loop ran
    while (!stopped_) {
        while (!waiting_.empty()) {
            auto it = due_at_.find(waiting_.top().id);
            if (it != due_at_.end() && it->second == waiting_.top().at) break;
            waiting_.pop();  // stale: rescheduled, flushed or forgotten since
        }
        if (waiting_.empty()) {
            timer_.expires_after(std::chrono::hours(24));
        } else {
            timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                waiting_.top().at - Clock::now()));
        }
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        auto now = Clock::now();
        while (!waiting_.empty() && waiting_.top().at <= now) {
            Due due = waiting_.top();
            waiting_.pop();
            auto it = due_at_.find(due.id);
            if (it != due_at_.end() && it->second == due.at) ready_.push_back(due.id);
        }
        pump();
    }
}

}  // namespace herald::queue
