#pragma once
// At most N connections at a time to one destination (a domain or a smarthost): the
// `max_connections` of a transport. A delivery over the limit waits for a slot instead of
// opening one more connection that the receiver would refuse or count against us.
// Used from the event loop's thread only, like the transport that owns it.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace herald::delivery {

class ConnectionLimiter {
  public:
    explicit ConnectionLimiter(std::size_t per_destination);

    // Holds one slot until destroyed.
    class Permit {
      public:
        Permit(ConnectionLimiter* limiter, std::string key)
            : limiter_(limiter), key_(std::move(key)) {}
        Permit(Permit&& other) noexcept
            : limiter_(std::exchange(other.limiter_, nullptr)), key_(std::move(other.key_)) {}
        Permit& operator=(Permit&&) = delete;
        ~Permit() {
            if (limiter_) limiter_->release(key_);
        }

      private:
        ConnectionLimiter* limiter_;
        std::string key_;
    };

    boost::asio::awaitable<Permit> acquire(std::string key);
    // With a limit of its own for this key (a provider's max_connections).
    boost::asio::awaitable<Permit> acquire(std::string key, std::size_t limit);
    // As acquire, but also ends without a slot (nullopt) when offer_parked(key) says an open
    // connection to the key was parked: its waiter takes that one rather than open another.
    boost::asio::awaitable<std::optional<Permit>> acquire_or_parked(std::string key,
                                                                    std::size_t limit);
    // Wakes the longest waiter of acquire_or_parked(key), if there is one.
    void offer_parked(const std::string& key);
    std::size_t in_use(const std::string& key) const;

  private:
    struct Waiter {
        explicit Waiter(boost::asio::any_io_executor executor, bool takes_parked)
            : wake(std::move(executor), boost::asio::steady_timer::time_point::max()),
              takes_parked(takes_parked) {}
        boost::asio::steady_timer wake;  // cancelled to wake it
        bool takes_parked;
        bool granted = false;
    };
    struct Slots {
        std::size_t in_use = 0;
        std::size_t limit = 1;
        std::deque<std::shared_ptr<Waiter>> waiting;
    };
    boost::asio::awaitable<std::optional<Permit>> wait_for_slot(std::string key, std::size_t limit,
                                                                bool takes_parked);
    void grant_waiting(Slots& slots);
    void release(const std::string& key);

    std::size_t limit_;
    std::map<std::string, Slots> slots_;
};

}  // namespace herald::delivery
