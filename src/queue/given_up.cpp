#include "queue/given_up.hpp"

namespace herald::queue {

namespace {

struct Reason {
    std::string_view status;  // RFC 3463
    std::string_view text;
};

// RFC 3463 4.4.7: delivery time expired. An administrator's bounce is permanent by decision,
// with no more specific code.
constexpr Reason reason_of(GiveUp why) {
    return why == GiveUp::expired ? Reason{"4.4.7", "message expired: too long in the queue"}
                                  : Reason{"5.0.0", "bounced by the administrator"};
}

}  // namespace

std::string give_up_reason(GiveUp why) {
    const Reason reason = reason_of(why);
    return std::string(reason.status) + " " + std::string(reason.text);
}

message::ReportedRecipient given_up(std::string address, GiveUp why, const spool::Schedule* saved) {
    const spool::Deferral* last = saved ? saved->deferral_of(address) : nullptr;
    if (!last) return {.address = std::move(address), .diagnostic = give_up_reason(why)};
    const Reason reason = reason_of(why);
    return {.address = std::move(address),
            .diagnostic = last->reply,
            .remote_host = last->remote_host,
            .reason = std::string(reason.text),
            .status = std::string(reason.status),
            .last_attempt = last->at};
}

}  // namespace herald::queue
