#pragma once
// Which transport takes a recipient of a message from a sender: the queue asks this, the
// Router answers it from the config.
#include <memory>
#include <string_view>

#include "delivery/transport.hpp"

namespace herald::delivery {

class TransportSelector {
  public:
    virtual ~TransportSelector() = default;
    virtual Transport* transport_for(std::string_view sender, std::string_view recipient) const = 0;
    // Every transport forgets its unreachable destinations (Transport::forget_unreachable).
    virtual void forget_unreachable() const {}
    // Every transport's (Transport::close_idle_connections).
    virtual void close_idle_connections() const {}
    virtual bool connections_closed() const { return true; }
    // What a delivery holds on to while it runs, so that the transports it was handed outlive
    // a reload (live_router.hpp). A selector that is never replaced is itself, not owned.
    virtual std::shared_ptr<const TransportSelector> pinned() const {
        return std::shared_ptr<const TransportSelector>(std::shared_ptr<const void>(), this);
    }
};

}  // namespace herald::delivery
