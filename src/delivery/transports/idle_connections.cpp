#include "delivery/transports/idle_connections.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace herald::delivery {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> close_connection(std::unique_ptr<ClientConnection> connection,
                                       std::shared_ptr<std::size_t> closing) {
    co_await connection->close();
    --*closing;
}

}  // namespace

IdleConnections::IdleConnections(asio::any_io_executor executor, ReuseLimits limits)
    : executor_(std::move(executor)), limits_(limits) {}

IdleConnections::~IdleConnections() {
    *alive_ = false;
    for (auto& [destination, list] : parked_) {
        for (auto& parked : list) parked.expiry->cancel();
    }
}

std::optional<HeldConnection> IdleConnections::take(const std::string& destination) {
    auto it = parked_.find(destination);
    if (it == parked_.end()) return std::nullopt;
    Parked parked = std::move(it->second.back());
    it->second.pop_back();
    if (it->second.empty()) parked_.erase(it);
    parked.expiry->cancel();
    return std::move(parked.held);
}

void IdleConnections::park(const std::string& destination, HeldConnection held) {
    if (!held.connection->reusable() || held.connection->transactions() >= limits_.max_messages) {
        return close(std::move(held));
    }
    auto expiry = std::make_shared<asio::steady_timer>(executor_, limits_.idle_time);
    parked_[destination].push_back(Parked{std::move(held), expiry});
    auto expire = [](IdleConnections* self, std::shared_ptr<bool> alive, std::string destination,
                     std::shared_ptr<asio::steady_timer> timer) -> asio::awaitable<void> {
        auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || !*alive) co_return;  // taken, or the pool is gone
        auto it = self->parked_.find(destination);
        if (it == self->parked_.end()) co_return;
        auto& list = it->second;
        auto mine = std::find_if(list.begin(), list.end(),
                                 [&](const Parked& p) { return p.expiry == timer; });
        if (mine == list.end()) co_return;
        HeldConnection held = std::move(mine->held);
        list.erase(mine);
        if (list.empty()) self->parked_.erase(it);
        self->close(std::move(held));
    };
    asio::co_spawn(executor_, expire(this, alive_, destination, std::move(expiry)), asio::detached);
}

void IdleConnections::close_all() {
    auto all = std::move(parked_);
    parked_.clear();
    for (auto& [destination, list] : all) {
        for (auto& parked : list) {
            parked.expiry->cancel();
            close(std::move(parked.held));
        }
    }
}

// The permit goes at once (the slot is free for a new connection while QUIT is on its way),
// so that nothing outlives the limiter it belongs to.
void IdleConnections::close(HeldConnection held) {
    auto connection = std::move(held.connection);
    { [[maybe_unused]] auto released = std::move(held.permit); }
    ++*closing_;
    asio::co_spawn(executor_, close_connection(std::move(connection), closing_), asio::detached);
}

}  // namespace herald::delivery
