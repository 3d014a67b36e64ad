#include "queue/bouncer.hpp"

#include "log/main_log.hpp"

namespace herald::queue {

std::optional<std::string> Bouncer::bounce(std::string_view id, const message::Envelope& original,
                                           std::string_view original_data,
                                           std::vector<message::FailedRecipient> failed) {
    if (failed.empty()) return std::nullopt;
    if (original.sender.empty()) {
        mainlog_.event(id, "no bounce: the sender is the null sender");
        return std::nullopt;
    }
    // Its sender may be forged: a bounce would be backscatter, carrying our own headers to a
    // third party. Unknown recipients are refused at RCPT; what fails later is only logged.
    if (original.from_outsider) {
        mainlog_.event(id, "no bounce: the message came from an untrusted client");
        return std::nullopt;
    }
    message::DeliveryReport report{.reporting_host = hostname_,
                                   .queue_id = std::string(id),
                                   .arrival = original.arrival,
                                   .original_sender = original.sender,
                                   .failed = std::move(failed),
                                   .original_message = std::string(original_data)};
    message::Envelope envelope;
    envelope.recipients = {original.sender};  // sender stays "": a bounce never bounces
    envelope.protocol = "local";
    envelope.arrival = std::chrono::system_clock::now();
    envelope.smtputf8 = original.smtputf8;
    IntakeOptions options{.hostname = hostname_, .mask_client = true};
    std::string text = report.build("bounce." + std::string(id) + "@" + hostname_);
    auto outcome = intake_.accept(envelope, std::move(text), options);
    if (auto* failure = std::get_if<IntakeFailure>(&outcome)) {
        mainlog_.event(id, "bounce not queued: " + failure->message);
        return std::nullopt;
    }
    const std::string& bounce_id = std::get<Accepted>(outcome).id;
    mainlog_.event(id, "bounce " + bounce_id + " queued for <" + original.sender + ">");
    return bounce_id;
}

}  // namespace herald::queue
