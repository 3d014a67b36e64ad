#include "admin/rejection_reason.hpp"

#include "base/ascii_case.hpp"

namespace herald::admin {

namespace {

struct ReplyCodes {
    std::string_view code;      // "554"
    std::string_view enhanced;  // "5.7.1", or "" when the reply has none
};

ReplyCodes split_reply(std::string_view reply) {
    ReplyCodes out;
    out.code = reply.substr(0, reply.find(' '));
    if (out.code.size() == reply.size()) return out;
    std::string_view rest = reply.substr(out.code.size() + 1);
    std::string_view second = rest.substr(0, rest.find(' '));
    // RFC 3463 2: class "." subject "." detail, each digits.
    if (second.size() >= 5 && second[1] == '.' &&
        second.find_first_not_of("0123456789.") == std::string_view::npos) {
        out.enhanced = second;
    }
    return out;
}

// RFC 3463: the subject and detail, whatever the class (4.3.4 and 5.3.4 alike).
bool subject_detail_is(std::string_view enhanced, std::string_view subject_detail) {
    return enhanced.size() > 2 && enhanced.substr(2) == subject_detail;
}

}  // namespace

RejectionReason classify_rejection(std::string_view command, std::string_view reply) {
    auto [code, enhanced] = split_reply(reply);
    // The rate limiter's temporary refusal (policy/session_gate.cpp): 451 4.7.1.
    if (code == "451" && enhanced == "4.7.1") return RejectionReason::rate_limited;
    // RFC 4954 6: 535 5.7.8, credentials invalid.
    if (code == "535" || enhanced == "5.7.8") return RejectionReason::auth_failed;
    // RFC 3463 3.4 / 3.3: 5.3.4 message too big for system, 5.2.3 over the mailbox's limit.
    if (code == "552" || subject_detail_is(enhanced, "3.4") || subject_detail_is(enhanced, "2.3")) {
        return RejectionReason::size;
    }
    // RFC 3463 3.8: 5.7.1, delivery not authorized; whose fault depends on the command.
    if (enhanced == "5.7.1") {
        if (starts_with_ignoring_case(command, "MAIL")) {
            return RejectionReason::rejected_sender;
        }
        if (starts_with_ignoring_case(command, "RCPT")) return RejectionReason::relay_denied;
    }
    return RejectionReason::other;
}

std::string_view to_string(RejectionReason reason) {
    switch (reason) {
        case RejectionReason::relay_denied:
            return "relay_denied";
        case RejectionReason::rate_limited:
            return "rate_limited";
        case RejectionReason::rejected_sender:
            return "rejected_sender";
        case RejectionReason::auth_failed:
            return "auth_failed";
        case RejectionReason::size:
            return "size";
        case RejectionReason::other:
            break;
    }
    return "other";
}

}  // namespace herald::admin
