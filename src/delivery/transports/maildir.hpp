#pragma once
// Local delivery into a maildir (cr.yp.to/proto/maildir.html): each message is its own file,
// written in tmp/, made durable, then linked into new/, so that a reader never sees a partial
// message and no lock is needed.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "delivery/transports/local_mailbox_transport.hpp"

namespace herald::delivery {

// A name no other delivery on any host uses: "time.M<usec>P<pid>Q<count>.<host>,S=<size>"
// (the maildir spec's modern form; ",S=" is the size as Courier and Dovecot read it).
std::string maildir_unique_name(std::size_t size);

// Saves `content` as one new message in the maildir `dir`, creating dir, tmp/, new/ and cur/
// (mode 0700) as needed. Returns the file's path in new/ once the file and its name are
// fsync'd.
Result<std::filesystem::path> maildir_deliver(const std::filesystem::path& dir,
                                              std::string_view content);

class MaildirTransport final : public LocalMailboxTransport {
  public:
    MaildirTransport(std::string name, std::string path_template, BlockingPool* pool = nullptr)
        : LocalMailboxTransport(std::move(name), std::move(path_template), pool) {}

  private:
    Result<std::string> store(const std::filesystem::path& mailbox,
                              const message::Envelope& envelope, std::string_view copy) override;
};

}  // namespace herald::delivery
