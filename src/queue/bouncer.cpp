#include "queue/bouncer.hpp"

#include "log/main_log.hpp"

namespace herald::queue {

namespace {

using message::RecipientDsn;
using message::ReportedRecipient;

// RFC 3461 4.1: only the recipients whose NOTIFY asks for this outcome (failures and delays
// when it was not given); each with its ORCPT, which the report repeats.
std::vector<ReportedRecipient> asking_for(const message::Envelope& original,
                                          std::vector<ReportedRecipient> recipients,
                                          RecipientDsn::Notify outcome) {
    std::vector<ReportedRecipient> asking;
    for (auto& r : recipients) {
        const RecipientDsn dsn = original.dsn_of(r.address);
        if (!dsn.wants(outcome)) continue;
        r.original_recipient = dsn.orcpt;
        asking.push_back(std::move(r));
    }
    return asking;
}

}  // namespace

std::optional<std::string_view> Bouncer::refusal(const message::Envelope& original) {
    if (original.sender.empty()) return "the sender is the null sender";
    // Its sender may be forged: a report would be backscatter, carrying our own headers to a
    // third party. Unknown recipients are refused at RCPT; what fails later is only logged.
    if (original.from_outsider) return "the message came from an untrusted client";
    return std::nullopt;
}

std::optional<std::string> Bouncer::bounce(std::string_view id, const message::Envelope& original,
                                           std::string_view original_data,
                                           std::vector<ReportedRecipient> failed) {
    if (failed.empty()) return std::nullopt;
    if (auto why = refusal(original)) {
        mainlog_.event(id, "no bounce: " + std::string(*why));
        return std::nullopt;
    }
    failed = asking_for(original, std::move(failed), RecipientDsn::failure);
    if (failed.empty()) {
        mainlog_.event(id, "no bounce: the sender asked for none (NOTIFY)");
        return std::nullopt;
    }
    message::DeliveryReport report{.recipients = std::move(failed)};
    auto bounce_id = send(id, original, original_data, std::move(report), "bounce");
    if (bounce_id) {
        mainlog_.event(id, "bounce " + *bounce_id + " queued for <" + original.sender + ">");
    }
    return bounce_id;
}

std::optional<std::string> Bouncer::warn(std::string_view id, const message::Envelope& original,
                                         std::string_view original_data,
                                         std::vector<ReportedRecipient> delayed,
                                         std::chrono::system_clock::time_point will_retry_until) {
    if (delayed.empty()) return std::nullopt;
    if (auto why = refusal(original)) {
        mainlog_.event(id, "no delay warning: " + std::string(*why));
        return std::nullopt;
    }
    delayed = asking_for(original, std::move(delayed), RecipientDsn::delay);
    if (delayed.empty()) return std::nullopt;
    message::DeliveryReport report{.action = message::DeliveryReport::Action::delayed,
                                   .recipients = std::move(delayed),
                                   .will_retry_until = will_retry_until};
    auto warning_id = send(id, original, original_data, std::move(report), "delay warning");
    if (warning_id) {
        mainlog_.event(id, "delay warning sent to <" + original.sender + "> as " + *warning_id);
    }
    return warning_id;
}

std::optional<std::string> Bouncer::report_success(std::string_view id,
                                                   const message::Envelope& original,
                                                   std::string_view original_data,
                                                   std::vector<ReportedRecipient> succeeded) {
    if (refusal(original)) return std::nullopt;
    succeeded = asking_for(original, std::move(succeeded), RecipientDsn::success);
    if (succeeded.empty()) return std::nullopt;
    message::DeliveryReport report{.action = message::DeliveryReport::Action::delivered,
                                   .recipients = std::move(succeeded)};
    auto report_id = send(id, original, original_data, std::move(report), "success notice");
    if (report_id) {
        mainlog_.event(id,
                       "success notice " + *report_id + " queued for <" + original.sender + ">");
    }
    return report_id;
}

std::optional<std::string> Bouncer::send(std::string_view id, const message::Envelope& original,
                                         std::string_view original_data,
                                         message::DeliveryReport report, std::string_view kind) {
    report.reporting_host = hostname_;
    report.queue_id = std::string(id);
    report.arrival = original.arrival;
    report.original_sender = original.sender;
    report.envelope_id = original.envelope_id;
    report.original_message = std::string(original_data);
    report.return_full = original.dsn_return == message::DsnReturn::full;
    message::Envelope envelope;
    envelope.recipients = {original.sender};  // sender stays "": a report never bounces
    envelope.protocol = "local";
    envelope.arrival = std::chrono::system_clock::now();
    envelope.smtputf8 = original.smtputf8;
    IntakeOptions options{.hostname = hostname_, .mask_client = true};
    // "bounce.ID@host", "delay.ID@host", "success.ID@host".
    const std::string message_id =
        std::string(kind.substr(0, kind.find(' '))) + "." + std::string(id) + "@" + hostname_;
    auto outcome = intake_.accept(envelope, report.build(message_id), options);
    if (auto* failure = std::get_if<IntakeFailure>(&outcome)) {
        mainlog_.event(id, std::string(kind) + " not queued: " + failure->message);
        return std::nullopt;
    }
    return std::get<Accepted>(outcome).id;
}

}  // namespace herald::queue
