#pragma once
// The types of events (docs/events.md), by name. Header-only, so that the config can check
// `[[event_sink]] types` against the same list the events are made with.
#include <array>
#include <optional>
#include <string_view>

#include "base/enum_names.hpp"

namespace herald::events {

enum class EventType {
    received,
    delivered,
    deferred,
    bounced,
    expired,
    complaint,
    unsubscribed,
    suppressed,
    admin,
    explained,   // the deferral explainer's finding about a deferral or bounce with a cause
    compliance,  // the compliance gate's verdict on a bulk message
};

inline constexpr std::array<std::string_view, 11> kEventTypeNames = {
    "received",     "delivered",  "deferred", "bounced",   "expired",   "complaint",
    "unsubscribed", "suppressed", "admin",    "explained", "compliance"};

constexpr std::string_view type_name(EventType type) {
    return kEventTypeNames[static_cast<std::size_t>(type)];
}

constexpr std::optional<EventType> parse_event_type(std::string_view name) {
    return enum_named<EventType>(kEventTypeNames, name);
}

}  // namespace herald::events
