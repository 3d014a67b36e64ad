#pragma once
// Sends delivery status notifications (RFC 3464) to the envelope sender, through the same
// intake as any message: the bounce for recipients that failed for good, the delay warning
// for recipients still deferred (DelayWarningRule says when), and the success notice for
// recipients whose NOTIFY asked for one. Each only for the recipients whose NOTIFY (RFC
// 3461) asks for that outcome, and as much of the message as RET asks. Never to the null
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

    // NOTIFY=SUCCESS: "delivered", or "relayed" to a next hop that took no DSN request.
    std::optional<std::string> report_success(std::string_view id,
                                              const message::Envelope& original,
                                              std::string_view original_data,
                                              std::vector<message::ReportedRecipient> succeeded);

  private:
    // Queues `report`, completed from `original`, to the original sender; nullopt (logged)
    // when the intake refuses it. `kind`: "bounce", "delay warning" or "success notice".
    std::optional<std::string> send(std::string_view id, const message::Envelope& original,
                                    std::string_view original_data, message::DeliveryReport report,
                                    std::string_view kind);

    Intake& intake_;
    log::MainLog& mainlog_;
    std::string hostname_;
};

}  // namespace herald::queue
