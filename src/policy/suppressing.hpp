#pragma once
// What the gate asks of the suppression lists and the bounce domain (issue 18,
// docs/events.md): why mail from a sender to a recipient must not go, if it must not, and
// whether a recipient is a report address. The lists live in suppression/ and the VERP keys
// in reports/; the gate only asks, so policy/ needs neither.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::policy {

// "suppressed since 2026-12-03: <reason>", or nullopt when the recipient may get mail. `user`:
// who submits (for the event the refusal makes), "" for a relay client.
using SuppressionLookup = std::function<std::optional<std::string>(
    std::string_view sender, std::string_view recipient, std::string_view user)>;

// [bounces] domain (docs/events.md): Herald takes DSNs and ARF reports there from anyone.
// nullopt: the address is not at the bounce domain; true: a report address (a VERP address
// that verifies, or the FBL address); false: at the domain but forged, refused.
using ReportAddressCheck = std::function<std::optional<bool>(std::string_view recipient)>;

// At end of DATA, once the message's List-Id (`list_id`) is known: when every recipient left
// that list (an unsubscribe from it), the refusal "<a> suppressed since ...", told as events;
// nullopt when one of them may get it (the others are dropped at delivery).
using ListRefusal = std::function<std::optional<std::string>(
    std::string_view sender, const std::vector<std::string>& recipients, std::string_view user,
    std::string_view list_id)>;

struct Suppressing {
    SuppressionLookup lookup;    // empty: no lists
    ListRefusal on_list;         // empty: no lists
    bool refuse_relayed = true;  // [suppression] relayed = "reject"; "drop" leaves it to delivery
    ReportAddressCheck report_address;  // empty: no [bounces] domain

    // Whether a suppressed recipient is refused while the client waits (at RCPT, or at end
    // of DATA for a list's entries): submitted mail always, since its sender is there to hear
    // it; relayed mail unless relayed = "drop" leaves it to the delivery.
    bool refuses(bool submitted) const { return submitted || refuse_relayed; }
};

}  // namespace herald::policy
