#include "delivery/transports/local_mailbox_transport.hpp"

#include "delivery/transports/mailbox_copy.hpp"

namespace herald::delivery {

using Outcome = RecipientResult::Outcome;

LocalMailboxTransport::LocalMailboxTransport(std::string name, std::string path_template,
                                             BlockingPool* pool)
    : name_(std::move(name)),
      path_(std::move(path_template)),
      own_pool_(pool ? nullptr : std::make_unique<BlockingPool>(1)),
      pool_(pool ? pool : own_pool_.get()) {}

boost::asio::awaitable<std::vector<RecipientResult>> LocalMailboxTransport::deliver(
    const Delivery& delivery) {
    co_return co_await pool_->run([this, &delivery] { return deliver_blocking(delivery); });
}

std::vector<RecipientResult> LocalMailboxTransport::deliver_blocking(const Delivery& delivery) {
    std::vector<RecipientResult> results;
    results.reserve(delivery.recipients.size());
    for (const auto& recipient : delivery.recipients) {
        results.push_back(deliver_one(delivery, recipient));
    }
    return results;
}

RecipientResult LocalMailboxTransport::deliver_one(const Delivery& delivery,
                                                   const std::string& recipient) {
    auto mailbox = path_.for_recipient(recipient);
    if (!mailbox) return {recipient, Outcome::failed, mailbox.error(), ""};
    std::string copy = mailbox_copy(delivery.envelope.sender, recipient, delivery.data);
    auto saved = store(*mailbox, delivery.envelope, copy);
    if (!saved) return {recipient, Outcome::deferred, saved.error(), mailbox->string()};
    RecipientResult result{recipient, Outcome::delivered, "saved", *saved};
    result.handoff = RecipientResult::Handoff::mailbox;
    return result;
}

}  // namespace herald::delivery
