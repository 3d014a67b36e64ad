#include "reports/report_intake.hpp"

#include "base/ascii_case.hpp"
#include "message/header_block.hpp"

namespace herald::reports {

using events::Event;
using events::EventType;

namespace {

void set_reading(events::Event& event, const events::BounceReading& reading) {
    event.category = std::string(events::category_name(reading.category));
    if (reading.cause != events::ReplyCause::none) {
        event.cause = std::string(events::cause_name(reading.cause));
    }
}

// What the report shows of the original message: its From: address, for the event's sender
// (the envelope sender of a message that left long ago is not in the report, and its From:
// domain is the one the suppression lists are kept by), and its Message-ID.
void describe_original(Event& event, std::string_view headers) {
    if (headers.empty()) return;
    const auto block = message::HeaderBlock::parse(headers);
    if (const auto* from = block.find("From")) {
        const auto list = message::split_address_list(from->value);
        if (!list.empty()) event.sender = list.front();
    }
    if (const auto* field = block.find("Message-ID")) event.message_id = field->value;
}

}  // namespace

std::string_view kind_name(ReportKind kind) {
    return kind == ReportKind::dsn ? "dsn" : "arf";
}

std::string_view result_name(ReportResult result) {
    switch (result) {
        case ReportResult::taken:
            return "taken";
        case ReportResult::forged:
            return "forged";
        case ReportResult::malformed:
            return "malformed";
        case ReportResult::ignored:
            return "ignored";
    }
    return "ignored";
}

ReportIntake::ReportIntake(Verp verp, std::string fbl_address,
                           const events::BounceClassifier& classifier, const events::EventHub& hub,
                           Note note)
    : verp_(std::move(verp)),
      fbl_address_(std::move(fbl_address)),
      classifier_(classifier),
      hub_(hub),
      note_(std::move(note)) {}

bool ReportIntake::is_report_address(std::string_view recipient) const {
    return verp_.at_bounce_domain(recipient) &&
           (equals_ignoring_case(recipient, fbl_address_) || verp_.verify(recipient));
}

std::optional<bool> ReportIntake::check_address(std::string_view recipient) {
    if (!verp_.at_bounce_domain(recipient)) return std::nullopt;
    if (is_report_address(recipient)) return true;
    counted(ReportKind::dsn, ReportResult::forged);
    return false;
}

std::optional<Verp::Token> ReportIntake::token_in(std::string_view headers) const {
    for (const auto& address : addresses_at(headers, verp_.domain())) {
        if (auto token = verp_.verify(address)) return token;
    }
    return std::nullopt;
}

void ReportIntake::take(std::string_view message, const std::vector<std::string>& recipients,
                        std::string_view client) {
    const Report report = parse_report(message);
    for (const auto& recipient : recipients) {
        if (equals_ignoring_case(recipient, fbl_address_)) {
            take_feedback(report, token_in(report.original_headers), client);
        } else if (auto token = verp_.verify(recipient)) {
            if (report.kind == Report::Kind::feedback) {
                take_feedback(report, token, client);  // some loops answer the return path
            } else {
                take_dsn(report, *token, client);
            }
        }
    }
}

void ReportIntake::take_dsn(const Report& report, const Verp::Token& token,
                            std::string_view client) {
    Event event = Event::now(EventType::bounced);
    event.queue_id = token.queue_id;
    event.recipient = token.recipient;
    event.async = true;
    describe_original(event, report.original_headers);
    std::string status;
    if (report.kind == Report::Kind::delivery_status && !report.recipients.empty()) {
        // The recipient the token names, else the report's only or first one.
        const RecipientStatus* chosen = &report.recipients.front();
        for (const auto& r : report.recipients) {
            if (equals_ignoring_case(r.final_recipient, token.recipient) ||
                equals_ignoring_case(r.original_recipient, token.recipient)) {
                chosen = &r;
                break;
            }
        }
        if (chosen->action != "failed" && chosen->action != "delayed") {
            counted(ReportKind::dsn, ReportResult::ignored);
            note_(token.queue_id, "report from " + std::string(client) + " for <" +
                                      token.recipient + ">: action " + chosen->action +
                                      ", nothing to do");
            return;
        }
        if (chosen->action == "delayed") event.type = EventType::deferred;
        status = chosen->status;
        event.reply = chosen->diagnostic.empty() ? chosen->status : chosen->diagnostic;
        event.remote_host = chosen->remote_mta;
        set_reading(event, classifier_.read_status(status, chosen->diagnostic));
    } else if (auto reply = find_reply_in_text(report.text)) {
        event.reply = *reply;
        set_reading(event, classifier_.read(*reply));
    } else {
        counted(ReportKind::dsn, ReportResult::malformed);
        note_(token.queue_id, "report from " + std::string(client) + " for <" + token.recipient +
                                  "> dropped: no delivery status and no reply code in it" +
                                  (report.problem.empty() ? "" : " (" + report.problem + ")"));
        return;
    }
    counted(ReportKind::dsn, ReportResult::taken);
    note_(token.queue_id,
          std::string(event.type == EventType::deferred ? "delay report" : "asynchronous bounce") +
              " from " + std::string(client) + " for <" + token.recipient +
              "> category=" + event.category + " \"" + event.reply + "\"");
    hub_.emit(event);
}

void ReportIntake::take_feedback(const Report& report, std::optional<Verp::Token> token,
                                 std::string_view client) {
    if (report.kind != Report::Kind::feedback) {
        counted(ReportKind::arf, ReportResult::malformed);
        note_("-", "feedback report from " + std::string(client) +
                       " dropped: not an ARF report (RFC 5965)" +
                       (report.problem.empty() ? "" : ": " + report.problem));
        return;
    }
    if (!token) {
        counted(ReportKind::arf, ReportResult::forged);
        note_("-", "feedback report from " + std::string(client) +
                       " dropped: its original message carries no return path of ours "
                       "that verifies");
        return;
    }
    Event event = Event::now(EventType::complaint);
    event.queue_id = token->queue_id;
    event.recipient = token->recipient;
    describe_original(event, report.original_headers);
    event.feedback_type = ascii_lowercase(report.feedback.feedback_type);
    event.reason = report.feedback.user_agent.empty()
                       ? std::string("feedback report")
                       : "feedback report from " + report.feedback.user_agent;
    counted(ReportKind::arf, ReportResult::taken);
    note_(token->queue_id, "complaint (" + event.feedback_type + ") from " + std::string(client) +
                               " for <" + token->recipient + ">");
    hub_.emit(event);
}

}  // namespace herald::reports
