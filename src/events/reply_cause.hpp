#pragma once
// What a receiver's refusal or deferral says is wrong with the sender, when it names an
// authentication, reputation or policy problem (issue 19, the deferral explainer): the
// `cause` of a [[rule]] in the bounce rules, the `cause=` of the mainlog's `==` and `**`
// lines, and the doctor checks the explainer runs (doctor/deferral_explainer.hpp).
// Header-only, like bounce_category.hpp.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "base/enum_names.hpp"

namespace herald::events {

enum class ReplyCause {
    none,             // the reply names no problem of the sender's
    unauthenticated,  // neither SPF nor DKIM passed (Gmail 4.7.26, Microsoft 5.7.515)
    spf,              // SPF did not pass (Gmail 4.7.27)
    dkim,             // DKIM did not pass (Gmail 4.7.30)
    dmarc,            // the From: domain's DMARC policy refused it
    alignment,        // SPF or DKIM passed, but not for the From: domain (Gmail 4.7.32)
    reverse_dns,      // the sending address has no forward-confirmed PTR (Gmail 4.7.23)
    tls,              // the receiver asks for TLS
    block_list,       // the sending address is on a block list (Microsoft S3150, Spamhaus)
    reputation,       // rate or reputation: complaints, unusual volume (Gmail 4.7.28, TSS04)
    unsubscribe,      // bulk mail without one-click unsubscribe
    policy,           // the receiver's policy, with no more precise reason
};

inline constexpr std::array<std::string_view, 12> kReplyCauseNames = {
    "none", "unauthenticated", "spf",        "dkim",        "dmarc", "alignment", "reverse-dns",
    "tls",  "block-list",      "reputation", "unsubscribe", "policy"};

constexpr std::string_view cause_name(ReplyCause cause) {
    return kReplyCauseNames[static_cast<std::size_t>(cause)];
}

constexpr std::optional<ReplyCause> parse_cause(std::string_view name) {
    return enum_named<ReplyCause>(kReplyCauseNames, name);
}

}  // namespace herald::events
