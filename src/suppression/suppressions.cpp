#include "suppression/suppressions.hpp"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "base/ascii_case.hpp"
#include "base/timestamp.hpp"
#include "events/suppression_text.hpp"

namespace herald::suppression {

namespace {

// A reason holds the receiver's reply; a list entry needs no more of it than this.
constexpr std::size_t kMaxReason = 300;

// The first `most` octets of `text`, never cutting a UTF-8 sequence in two.
std::string shortened(const std::string& text, std::size_t most) {
    if (text.size() <= most) return text;
    std::size_t end = most;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

}  // namespace

Suppressions::Suppressions(std::unique_ptr<SuppressionList> list, const config::Suppression& config,
                           Trouble trouble, const events::EventHub* hub)
    : list_(std::move(list)),
      add_on_(config.add_on.begin(), config.add_on.end()),
      refuse_relayed_(config.relayed == config::Suppression::Relayed::reject),
      trouble_(std::move(trouble)),
      hub_(hub) {}

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    return ascii_lowercase(address.substr(at + 1));
}

std::string day_of(std::int64_t unix_seconds) {
    const std::chrono::sys_seconds t{std::chrono::seconds(unix_seconds)};
    return fmt::format("{:%Y-%m-%d}", t);
}

std::optional<Entry> Suppressions::find(std::string_view sender, std::string_view recipient,
                                        std::string_view list_id) {
    auto found = list_->check(recipient, domain_of(sender), list_id);
    if (!found) {
        if (trouble_) trouble_("suppression list: " + found.error());
        return std::nullopt;
    }
    return std::move(*found);
}

std::optional<std::string> Suppressions::why(std::string_view sender, std::string_view recipient,
                                             std::string_view list_id) {
    const auto entry = find(sender, recipient, list_id);
    if (!entry) return std::nullopt;
    return events::suppression_text(day_of(entry->created), entry->reason);
}

std::optional<std::string> Suppressions::refuse_on_list(std::string_view sender,
                                                        const std::vector<std::string>& recipients,
                                                        std::string_view user,
                                                        std::string_view list_id) {
    if (list_id.empty() || recipients.empty()) return std::nullopt;
    std::vector<Entry> entries;
    for (const auto& recipient : recipients) {
        auto entry = find(sender, recipient, list_id);
        if (!entry || entry->scope.find(':') == std::string::npos) return std::nullopt;
        entries.push_back(std::move(*entry));
    }
    std::string first;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        std::string why = refusal(entries[i], sender, recipients[i], user);
        if (i == 0) first = "<" + recipients[i] + "> " + why;
    }
    return first;
}

std::optional<std::string> Suppressions::refuse(std::string_view sender, std::string_view recipient,
                                                std::string_view user) {
    const auto entry = find(sender, recipient, {});
    if (!entry) return std::nullopt;
    return refusal(*entry, sender, recipient, user);
}

std::string Suppressions::refusal(const Entry& entry, std::string_view sender,
                                  std::string_view recipient, std::string_view user) const {
    const std::string since = day_of(entry.created);
    if (hub_) {
        auto event = events::Event::now(events::EventType::suppressed);
        event.recipient = recipient;
        event.sender = sender;
        event.user = user;
        event.reason = entry.reason;
        event.since = since;
        hub_->emit(event);
    }
    return events::suppression_text(since, entry.reason);
}

boost::json::object entry_json(const Entry& entry) {
    const std::chrono::system_clock::time_point created{std::chrono::seconds{entry.created}};
    return {{"address", entry.address},
            {"domain", entry.scope},
            {"reason", entry.reason},
            {"source", entry.source},
            {"created", iso8601_utc(created)}};
}

policy::Suppressing Suppressions::for_gate() {
    return {.lookup = [this](std::string_view sender, std::string_view recipient,
                             std::string_view user) { return refuse(sender, recipient, user); },
            .on_list =
                [this](std::string_view sender, const std::vector<std::string>& recipients,
                       std::string_view user, std::string_view list_id) {
                    return refuse_on_list(sender, recipients, user, list_id);
                },
            .refuse_relayed = refuse_relayed_};
}

void Suppressions::watch(const events::Event& event) {
    using events::EventType;
    std::string source;
    std::string reason;
    if (event.type == EventType::bounced && add_on_.contains(event.category)) {
        source = "bounce";
        reason = event.category + ": " + event.reply;
    } else if (event.type == EventType::complaint && add_on_.contains("complaint")) {
        source = "complaint";
        reason =
            "complaint" + (event.feedback_type.empty() ? "" : " (" + event.feedback_type + ")");
    } else if (event.type == EventType::unsubscribed && add_on_.contains("unsubscribe")) {
        source = "unsubscribe";
        reason = "unsubscribed" + (event.list.empty() ? "" : " from " + event.list);
    } else {
        return;
    }
    // A bounce of Herald's own bounce (the null sender) says nothing of a list's recipient.
    if (event.sender && event.sender->empty()) return;
    // The sender domain's list. A report that does not show whom the message was from (an
    // asynchronous bounce without the original's headers) names no domain: its recipient
    // goes on the global list, since a mailbox that does not exist does not exist for anyone.
    std::string scope = event.domain.empty() ? domain_of(event.sender.value_or("")) : event.domain;
    if (scope.empty()) scope = "*";
    // An unsubscribe from one list leaves that list only (issue 19): the sender's other lists
    // and its one-to-one mail still reach the recipient.
    if (event.type == EventType::unsubscribed) {
        scope = list_scope(scope, event.list).value_or(scope);
    }
    if (event.recipient.empty()) return;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(event.time.time_since_epoch()).count();
    auto added = list_->add({.address = event.recipient,
                             .scope = scope,
                             .reason = shortened(reason, kMaxReason),
                             .source = source,
                             .created = now});
    if (!added && trouble_) trouble_("suppression list: " + added.error());
}

}  // namespace herald::suppression
