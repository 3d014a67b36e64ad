#pragma once
// Which transport takes a recipient of a message from a sender: the queue asks this, the
// Router answers it from the config.
#include <string_view>

#include "delivery/transport.hpp"

namespace herald::delivery {

class TransportSelector {
  public:
    virtual ~TransportSelector() = default;
    virtual Transport* transport_for(std::string_view sender, std::string_view recipient) const = 0;
    // Every transport forgets its unreachable destinations (Transport::forget_unreachable).
    virtual void forget_unreachable() const {}
};

}  // namespace herald::delivery
