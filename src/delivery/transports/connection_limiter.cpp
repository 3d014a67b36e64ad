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
    // Named: nothing owning stays a temporary of the co_await (GCC 12 destroys those twice).
    auto permit = co_await wait_for_slot(std::move(key), limit, false);
    co_return std::move(*permit);
}

asio::awaitable<std::optional<ConnectionLimiter::Permit>> ConnectionLimiter::acquire_or_parked(
    std::string key, std::size_t limit) {
    return wait_for_slot(std::move(key), limit, true);
}

// The limit may change from one call to the next (a provider's reply capped its
// connections, or the cap relaxed): the latest holds for every slot given from then on.
asio::awaitable<std::optional<ConnectionLimiter::Permit>> ConnectionLimiter::wait_for_slot(
    std::string key, std::size_t limit, bool takes_parked) {
    Slots& slots = slots_[key];
    slots.limit = std::max<std::size_t>(limit, 1);
    if (slots.waiting.empty() && slots.in_use < slots.limit) {
        ++slots.in_use;
        co_return Permit(this, std::move(key));
    }
    auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor, takes_parked);
    slots.waiting.push_back(waiter);
    grant_waiting(slots);
    boost::system::error_code ignored;
    co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!waiter->granted) co_return std::nullopt;
    co_return Permit(this, std::move(key));
}

// In order of arrival, as many waiters as the limit lets in.
void ConnectionLimiter::grant_waiting(Slots& slots) {
    while (!slots.waiting.empty() && slots.in_use < slots.limit) {
        ++slots.in_use;
        slots.waiting.front()->granted = true;
        slots.waiting.front()->wake.cancel();
        slots.waiting.pop_front();
    }
}

void ConnectionLimiter::offer_parked(const std::string& key) {
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    auto& waiting = it->second.waiting;
    auto taker = std::find_if(waiting.begin(), waiting.end(),
                              [](const auto& waiter) { return waiter->takes_parked; });
    if (taker == waiting.end()) return;
    (*taker)->wake.cancel();
    waiting.erase(taker);
}

void ConnectionLimiter::release(const std::string& key) {
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    Slots& slots = it->second;
    --slots.in_use;
    grant_waiting(slots);
    if (slots.in_use == 0 && slots.waiting.empty()) slots_.erase(it);
}

std::size_t ConnectionLimiter::in_use(const std::string& key) const {
    auto it = slots_.find(key);
    return it == slots_.end() ? 0 : it->second.in_use;
}

}  // namespace herald::delivery
