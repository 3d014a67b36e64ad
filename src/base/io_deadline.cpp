#include "base/io_deadline.hpp"

#include <utility>

namespace herald {

struct IoDeadline::Watch {
    Watch(const boost::asio::any_io_executor& executor, std::function<void()> expiry)
        : timer(executor), on_expiry(std::move(expiry)) {}

    boost::asio::steady_timer timer;
    std::function<void()> on_expiry;
    Clock::time_point deadline = Clock::time_point::max();  // max: disarmed
    bool waiting = false;                                   // the timer has a wait pending
    bool expired = false;
    bool stopped = false;
};

IoDeadline::IoDeadline(const boost::asio::any_io_executor& executor,
                       std::function<void()> on_expiry)
    : watch_(std::make_shared<Watch>(executor, std::move(on_expiry))) {}

IoDeadline::~IoDeadline() {
    watch_->stopped = true;
    watch_->timer.cancel();
}

void IoDeadline::arm(Clock::duration timeout) {
    Watch& w = *watch_;
    w.deadline = Clock::now() + timeout;
    w.expired = false;
    if (!w.waiting) {
        w.timer.expires_at(w.deadline);
        wait(watch_);
    } else if (w.deadline < w.timer.expiry()) {
        // Sooner than the timer is set for: the pending wait ends (operation_aborted) and the
        // next one is for this deadline.
        w.timer.expires_at(w.deadline);
    }
    // Later (the usual case, each wait's timeout as long as the last's): the timer, when it
    // goes off, finds the deadline moved on and waits again.
}

void IoDeadline::disarm() {
    watch_->deadline = Clock::time_point::max();
}

bool IoDeadline::expired() const {
    return watch_->expired;
}

void IoDeadline::wait(const std::shared_ptr<Watch>& watch) {
    watch->waiting = true;
    watch->timer.async_wait([watch](const boost::system::error_code&) {
        Watch& w = *watch;
        w.waiting = false;
        if (w.stopped || w.deadline == Clock::time_point::max()) return;
        if (w.deadline <= Clock::now()) {
            w.expired = true;
            w.deadline = Clock::time_point::max();
            w.on_expiry();
            return;
        }
        w.timer.expires_at(w.deadline);
        wait(watch);
    });
}

}  // namespace herald
