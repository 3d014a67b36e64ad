#pragma once
// Why a command was refused, in a few classes an operator watches: the label of
// herald_smtp_rejections_total. Derived from the rejectlog's command and reply alone.
#include <array>
#include <string_view>

namespace herald::admin {

enum class RejectionReason {
    relay_denied,
    rate_limited,
    rejected_sender,
    auth_failed,
    size,
    other
};

inline constexpr std::array kRejectionReasons = {
    RejectionReason::relay_denied, RejectionReason::rate_limited, RejectionReason::rejected_sender,
    RejectionReason::auth_failed,  RejectionReason::size,         RejectionReason::other};

// `reply` as the rejectlog has it: "554 5.7.1 Relay access denied".
RejectionReason classify_rejection(std::string_view command, std::string_view reply);

std::string_view to_string(RejectionReason reason);

}  // namespace herald::admin
