#pragma once
// Local delivery into an mbox file in the mboxrd form (RFC 4155): messages one after the
// other, each opened by a "From " line and closed by a blank line. Appends are serialised
// with the two locks other mail programs take (a <file>.lock dotlock and an fcntl lock), and
// undone on error, so a mailbox never holds half a message.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "delivery/transports/local_mailbox_transport.hpp"

namespace herald::delivery {

// Every line that matches ^>*From  gets one more '>' in front; readers remove one, so any
// text survives the round trip, including a line that was already quoted.
std::string mboxrd_quote(std::string_view content);

// "From <sender or MAILER-DAEMON> <asctime date>\n": the separator line a reader splits on.
std::string mbox_from_line(std::string_view sender, std::chrono::system_clock::time_point t);

// The separator line, `content` (LF lines) quoted, and the closing blank line.
std::string mbox_entry(std::string_view sender, std::chrono::system_clock::time_point t,
                       std::string_view content);

struct MboxLocking {
    std::chrono::milliseconds wait{20000};  // for another program's lock; then defer
    std::chrono::seconds stale{300};        // a dotlock older than this was left by a crash
};

// Appends `entry` to `file` under both locks, creating the file (0600) and its directories
// (0700) as needed; fsyncs before it returns. On error the file is cut back to its old size.
Status mbox_append(const std::filesystem::path& file, std::string_view entry,
                   const MboxLocking& locking = {});

class MboxTransport final : public LocalMailboxTransport {
  public:
    MboxTransport(std::string name, std::string path_template, BlockingPool* pool = nullptr,
                  MboxLocking locking = {})
        : LocalMailboxTransport(std::move(name), std::move(path_template), pool),
          locking_(locking) {}

  private:
    Result<std::string> store(const std::filesystem::path& mailbox,
                              const message::Envelope& envelope, std::string_view copy) override;

    MboxLocking locking_;
};

}  // namespace herald::delivery
