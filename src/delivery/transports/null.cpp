#include "delivery/transports/null.hpp"

namespace herald::delivery {

boost::asio::awaitable<std::vector<RecipientResult>> NullTransport::deliver(
    const Delivery& delivery) {
    std::vector<RecipientResult> results;
    results.reserve(delivery.recipients.size());
    for (const auto& recipient : delivery.recipients) {
        results.push_back({recipient, RecipientResult::Outcome::delivered, "discarded", ""});
    }
    co_return results;
}

}  // namespace herald::delivery
