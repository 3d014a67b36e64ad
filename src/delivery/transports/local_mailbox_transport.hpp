#pragma once
// What the maildir and mbox transports share: one mailbox path per recipient from the
// configured template, an unsafe name failed outright, and the file work done on a blocking
// pool so that fsync never stalls the event loop.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/blocking_pool.hpp"
#include "base/result.hpp"
#include "delivery/transport.hpp"
#include "delivery/transports/mailbox_path.hpp"

namespace herald::delivery {

class LocalMailboxTransport : public Transport {
  public:
    std::string_view name() const override { return name_; }
    boost::asio::awaitable<std::vector<RecipientResult>> deliver(const Delivery& delivery) override;

    // What deliver() runs on the pool, on the calling thread.
    std::vector<RecipientResult> deliver_blocking(const Delivery& delivery);

  protected:
    // Without a pool the transport keeps a one-thread pool of its own.
    LocalMailboxTransport(std::string name, std::string path_template, BlockingPool* pool);

    // Saves `copy` (LF lines, headers added) durably in `mailbox`; returns the path to report
    // as where it went. An error is temporary: the recipient is deferred.
    virtual Result<std::string> store(const std::filesystem::path& mailbox,
                                      const message::Envelope& envelope, std::string_view copy) = 0;

  private:
    RecipientResult deliver_one(const Delivery& delivery, const std::string& recipient);

    std::string name_;
    MailboxPath path_;
    std::unique_ptr<BlockingPool> own_pool_;
    BlockingPool* pool_;
};

}  // namespace herald::delivery
