#pragma once
// A recipient address read the way a relay must read it: where does it really lead?
// The relay rules need only this much of RFC 5321 4.1.2, so it is kept here rather than
// waiting on the full address parser.
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::policy {

struct RecipientAddress {
    std::string local_part;  // quotes and backslash escapes removed
    std::string domain;      // lower-case; a domain name or an address literal "[...]"
    bool quoted = false;
    // Set when the address names a second destination that another MTA might follow:
    // a source route (RFC 5321 C), a percent hack (RFC 1123 5.2.16), a bang path (UUCP)
    // or an '@' inside the local part. What it names, for the reply.
    std::optional<std::string_view> trick;

    // The address as given in RCPT TO, without angle brackets. Fails on bad syntax.
    static Result<RecipientAddress> parse(std::string_view address);

    // is_mailbox_name(local_part).
    bool local_part_is_mailbox_name() const;
};

// A name that is safe as a mailbox file name: letters, digits and . _ + -, no leading or
// trailing dot, no "..", at most 64 octets (RFC 5321 4.5.3.1.1).
bool is_mailbox_name(std::string_view name);

}  // namespace herald::policy
