#include "queue/bouncer.hpp"

#include "log/main_log.hpp"

namespace herald::queue {

std::optional<std::string_view> Bouncer::refusal(const message::Envelope& original) {
    if (original.sender.empty()) return "the sender is the null sender";
    // Its sender may be forged: a report would be backscatter, carrying our own headers to a
    // third party. Unknown recipients are refused at RCPT; what fails later is only logged.
    if (original.from_outsider) return "the message came from an untrusted client";
    return std::nullopt;
}

std::optional<std::string> Bouncer::bounce(std::string_view id, const message::Envelope& original,
                                           std::string_view original_data,
                                           std::vector<message::ReportedRecipient> failed) {
    if (failed.empty()) return std::nullopt;
    if (auto why = refusal(original)) {
        mainlog_.event(id, "no bounce: " + std::string(*why));
        return std::nullopt;
    }
    const message::DeliveryReport report{.reporting_host = hostname_,
                                         .queue_id = std::string(id),
                                         .arrival = original.arrival,
                                         .original_sender = original.sender,
                                         .recipients = std::move(failed),
                                         .original_message = std::string(original_data)};
    auto bounce_id = send(id, original, report, "bounce." + std::string(id) + "@" + hostname_);
    if (bounce_id) {
        mainlog_.event(id, "bounce " + *bounce_id + " queued for <" + original.sender + ">");
    }
    return bounce_id;
}

std::optional<std::string> Bouncer::warn(std::string_view id, const message::Envelope& original,
                                         std::string_view original_data,
                                         std::vector<message::ReportedRecipient> delayed,
                                         std::chrono::system_clock::time_point will_retry_until) {
    if (delayed.empty()) return std::nullopt;
    if (auto why = refusal(original)) {
        mainlog_.event(id, "no delay warning: " + std::string(*why));
        return std::nullopt;
    }
    const message::DeliveryReport report{.action = message::DeliveryReport::Action::delayed,
                                         .reporting_host = hostname_,
                                         .queue_id = std::string(id),
                                         .arrival = original.arrival,
                                         .original_sender = original.sender,
                                         .recipients = std::move(delayed),
                                         .will_retry_until = will_retry_until,
                                         .original_message = std::string(original_data)};
    auto warning_id = send(id, original, report, "delay." + std::string(id) + "@" + hostname_);
    if (warning_id) {
        mainlog_.event(id, "delay warning sent to <" + original.sender + "> as " + *warning_id);
    }
    return warning_id;
}

std::optional<std::string> Bouncer::send(std::string_view id, const message::Envelope& original,
                                         const message::DeliveryReport& report,
                                         std::string_view message_id) {
    message::Envelope envelope;
    envelope.recipients = {original.sender};  // sender stays "": a report never bounces
    envelope.protocol = "local";
    envelope.arrival = std::chrono::system_clock::now();
    envelope.smtputf8 = original.smtputf8;
    IntakeOptions options{.hostname = hostname_, .mask_client = true};
    auto outcome = intake_.accept(envelope, report.build(message_id), options);
    if (auto* failure = std::get_if<IntakeFailure>(&outcome)) {
        const char* what = report.action == message::DeliveryReport::Action::delayed
                               ? "delay warning not queued: "
                               : "bounce not queued: ";
        mainlog_.event(id, what + failure->message);
        return std::nullopt;
    }
    return std::get<Accepted>(outcome).id;
}

}  // namespace herald::queue
