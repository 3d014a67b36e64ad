#pragma once
// One timer for all of a connection's network waits. Racing each read and write against a
// timer of its own (`operation || expiry(timer)`) built a timer, a parallel group and two
// coroutine frames for every wait, about twenty a relayed message. Here a wait arms the
// deadline before it starts and disarms it when it ends, which costs a clock reading; the
// timer runs only while a wait is armed and wakes only when the deadline it was set to
// passes. An armed deadline that passes calls `on_expiry` (which cancels the socket's
// operations), and the cut-off wait then sees expired().
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace herald {

class IoDeadline {
  public:
    using Clock = std::chrono::steady_clock;

    IoDeadline(const boost::asio::any_io_executor& executor, std::function<void()> on_expiry);
    // Stops watching: `on_expiry` is never called after.
    ~IoDeadline();
    IoDeadline(const IoDeadline&) = delete;
    IoDeadline& operator=(const IoDeadline&) = delete;

    // Before a wait: it must end within `timeout`.
    void arm(Clock::duration timeout);
    // After it.
    void disarm();
    // Whether the deadline of the wait last armed passed before it was disarmed.
    bool expired() const;

  private:
    // Shared with the timer's pending wait, which may end after this object is gone.
    struct Watch;
    static void wait(const std::shared_ptr<Watch>& watch);

    std::shared_ptr<Watch> watch_;
};

}  // namespace herald
