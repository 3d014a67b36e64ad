#include "delivery/live_router.hpp"

namespace herald::delivery {

std::shared_ptr<const Router> LiveRouter::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void LiveRouter::replace(std::shared_ptr<const Router> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
}

Transport* LiveRouter::transport_for(std::string_view sender, std::string_view recipient) const {
    return current()->transport_for(sender, recipient);
}

void LiveRouter::close_idle_connections() const {
    current()->close_idle_connections();
}

bool LiveRouter::connections_closed() const {
    return current()->connections_closed();
}

void LiveRouter::forget_unreachable() const {
    current()->forget_unreachable();
}

}  // namespace herald::delivery
