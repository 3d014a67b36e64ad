#pragma once
// Sends the bounce (RFC 3464 DSN) for recipients that failed for good, to the envelope
// sender, through the same intake as any message. Never to the null sender: a bounce that
// fails is logged and dropped, so bounces never loop (RFC 5321 6.1). Never for mail from an
// untrusted client either (Envelope::from_outsider): its sender may be forged.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "message/delivery_report.hpp"
#include "queue/intake.hpp"

namespace herald::queue {

class Bouncer {
  public:
    Bouncer(Intake& intake, log::MainLog& mainlog, std::string hostname)
        : intake_(intake), mainlog_(mainlog), hostname_(std::move(hostname)) {}

    // Blocking (it writes the spool). Returns the bounce's queue id when one was queued.
    std::optional<std::string> bounce(std::string_view id, const message::Envelope& original,
                                      std::string_view original_data,
                                      std::vector<message::FailedRecipient> failed);

  private:
    Intake& intake_;
    log::MainLog& mainlog_;
    std::string hostname_;
};

}  // namespace herald::queue
