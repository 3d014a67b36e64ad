#include "delivery/transports/connection_limiter.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace herald::delivery {

namespace asio = boost::asio;

ConnectionLimiter::ConnectionLimiter(std::size_t per_destination)
    : limit_(std::max<std::size_t>(per_destination, 1)) {}

asio::awaitable<ConnectionLimiter::Permit> ConnectionLimiter::acquire(std::string key) {
    return acquire(std::move(key), limit_);
}

asio::awaitable<ConnectionLimiter::Permit> ConnectionLimiter::acquire(std::string key,
                                                                      std::size_t limit) {
    Slots& slots = slots_[key];
    if (slots.in_use < std::max<std::size_t>(limit, 1)) {
        ++slots.in_use;
        co_return Permit(this, std::move(key));
    }
    // Wait until release() hands this waiter its slot by cancelling the timer.
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
    slots.waiting.push_back(timer);
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    co_return Permit(this, std::move(key));
}

void ConnectionLimiter::release(const std::string& key) {
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    Slots& slots = it->second;
    if (!slots.waiting.empty()) {
        // The slot passes to the first waiter: in_use stays the same.
        slots.waiting.front()->cancel();
        slots.waiting.pop_front();
        return;
    }
    if (--slots.in_use == 0) slots_.erase(it);
}

std::size_t ConnectionLimiter::in_use(const std::string& key) const {
    auto it = slots_.find(key);
    return it == slots_.end() ? 0 : it->second.in_use;
}

bool ConnectionLimiter::has_waiters(const std::string& key) const {
    auto it = slots_.find(key);
    return it != slots_.end() && !it->second.waiting.empty();
}

}  // namespace herald::delivery
