#pragma once
// Sends delivery status notifications (RFC 3464) to the envelope sender, through the same
// intake as any message: the bounce for recipients that failed for good, and the delay
// warning for recipients still deferred (DelayWarningRule says when). Never to the null
// sender: a report that fails is logged and dropped, so reports never loop (RFC 5321 6.1).
// Never for mail from an untrusted client either (Envelope::from_outsider): its sender may be
// forged.
#include <chrono>
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

    // Why no report may go to the sender of `original`; nullopt when one may.
    static std::optional<std::string_view> refusal(const message::Envelope& original);

    // Blocking (they write the spool). Each returns the report's queue id when one was queued.
    std::optional<std::string> bounce(std::string_view id, const message::Envelope& original,
                                      std::string_view original_data,
                                      std::vector<message::ReportedRecipient> failed);
    // "Action: delayed" for `delayed`, saying Herald gives up at `will_retry_until`.
    std::optional<std::string> warn(std::string_view id, const message::Envelope& original,
                                    std::string_view original_data,
                                    std::vector<message::ReportedRecipient> delayed,
                                    std::chrono::system_clock::time_point will_retry_until);

  private:
    // Queues `report` to the original sender; nullopt (logged) when the intake refuses it.
    std::optional<std::string> send(std::string_view id, const message::Envelope& original,
                                    const message::DeliveryReport& report,
                                    std::string_view message_id);

    Intake& intake_;
    log::MainLog& mainlog_;
    std::string hostname_;
};

}  // namespace herald::queue
