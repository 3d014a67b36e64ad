#pragma once
// How a suppression is told: "suppressed since 2026-12-03: <reason>", in the 550 reply at
// RCPT, in the mainlog's "**" line of a recipient dropped at delivery, and read back from
// that line into the `since` and `reason` of its event. One place writes and reads it.
#include <optional>
#include <string>
#include <string_view>

namespace herald::events {

std::string suppression_text(std::string_view since_day, std::string_view reason);

struct SuppressionText {
    std::string since;   // "2026-12-03"
    std::string reason;  // the list entry's
};
std::optional<SuppressionText> parse_suppression_text(std::string_view text);

}  // namespace herald::events
