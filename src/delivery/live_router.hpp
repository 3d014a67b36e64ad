#pragma once
// The router in force, replaced whole by a reload (transports and routes changed in the
// config). A delivery pins the router it started with (TransportSelector::pinned), so that
// mail in flight finishes on the old transports, which go away with the last such delivery.
#include <memory>
#include <mutex>

#include "delivery/router.hpp"

namespace herald::delivery {

class LiveRouter : public TransportSelector {
  public:
    explicit LiveRouter(std::shared_ptr<const Router> first) : current_(std::move(first)) {}

    std::shared_ptr<const Router> current() const;
    void replace(std::shared_ptr<const Router> next);

    Transport* transport_for(std::string_view sender, std::string_view recipient) const override;
    void forget_unreachable() const override;
    void close_idle_connections() const override;
    bool connections_closed() const override;
    std::shared_ptr<const TransportSelector> pinned() const override { return current(); }

  private:
    // Locked: the queue census asks from the blocking pool's threads.
    mutable std::mutex mutex_;
    std::shared_ptr<const Router> current_;
};

}  // namespace herald::delivery
