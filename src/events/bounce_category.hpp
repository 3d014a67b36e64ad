#pragma once
// What kind of failure a bounce or a deferral was (docs/events.md, "Bounce categories"): the
// `category` of events, the `category=` of the mainlog's `**` lines, a label of
// herald_bounces_total and the X-Herald-Bounce-Category: field of Herald's DSNs. Header-only,
// like event_type.hpp, so that the config can check `[suppression] add_on` against the same
// names without linking the events module.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "base/enum_names.hpp"

namespace herald::events {

enum class BounceCategory {
    invalid_recipient,  // no such mailbox (RFC 3463 X.1.1)
    bad_domain,         // no such domain, or one that takes no mail (X.1.2, null MX)
    inactive_mailbox,   // the mailbox exists but is disabled or closed (X.2.1)
    mailbox_full,       // over its quota (X.2.2)
    message_too_large,  // bigger than the receiver takes (X.2.3, X.3.4)
    policy_related,     // the receiver's rules: authentication, reverse DNS, local policy
    spam_related,       // block lists, reputation, spam scores
    virus_related,      // malware or an attachment type refused as a risk
    content_related,    // the message itself: malformed, refused by a content filter (X.6.x)
    routing_errors,     // no route, no answer, a lost connection (X.4.x)
    protocol_errors,    // the SMTP conversation went wrong (X.5.x)
    relaying_denied,    // the host will not take mail for that domain from us
    transient_failure,  // temporary, for no reason given more precisely
    message_expired,    // it waited in a queue too long (X.4.7)
    other,
};

inline constexpr std::array<std::string_view, 15> kBounceCategoryNames = {
    "invalid-recipient", "bad-domain",        "inactive-mailbox",
    "mailbox-full",      "message-too-large", "policy-related",
    "spam-related",      "virus-related",     "content-related",
    "routing-errors",    "protocol-errors",   "relaying-denied",
    "transient-failure", "message-expired",   "other"};

constexpr std::string_view category_name(BounceCategory category) {
    return kBounceCategoryNames[static_cast<std::size_t>(category)];
}

// The category of `name` ("invalid-recipient"), exactly as spelled in kBounceCategoryNames.
constexpr std::optional<BounceCategory> parse_category(std::string_view name) {
    return enum_named<BounceCategory>(kBounceCategoryNames, name);
}

}  // namespace herald::events
