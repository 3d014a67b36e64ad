#pragma once
// A mailbox as written in an SMTP path (RFC 5321 4.1.2), with what the relay policy must
// see: the tricks that route mail through a host other than the one named after the '@'.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::smtp {

struct Address {
    std::string local_part;  // as written: quotes and quoted-pairs kept, so str() round-trips
    std::string domain;      // as written; an address literal keeps its brackets
    bool quoted_local_part = false;
    bool has_source_route = false;  // "@a,@b:user@dom": the route was accepted and dropped
    bool address_literal = false;   // domain is "[1.2.3.4]" or "[IPv6:...]"
    bool utf8 = false;              // non-ASCII anywhere (RFC 6531)

    // "" for the null reverse-path <>, "postmaster" for <Postmaster>, else local@domain.
    std::string str() const;
    bool is_null() const { return local_part.empty() && domain.empty(); }
    // The local part with quoting removed: what a host that honours '%' or '!' would see.
    std::string unquoted_local_part() const;
    // "user%other@local": the percent hack (RFC 5321 Appendix C, 3.6.1 forbids relaying it).
    bool percent_hack() const;
    // "host!user@dom": a UUCP bang path.
    bool bang_path() const;
    // "\"a@b\"@local": an '@' hidden in a quoted local part.
    bool at_in_local_part() const;
    // Any of the above or a source route: a policy should not treat this as plainly local.
    bool routing_tricks() const;
};

enum class AddressSyntax {
    ascii,  // RFC 5321
    utf8,   // RFC 6531 3.3: the client sent SMTPUTF8
};

// "<...>" as in MAIL FROM / RCPT TO. Accepts "<>" only when allow_null; a source route is
// accepted and stripped (RFC 5321 3.6.1, Appendix C). The error says what is wrong.
Result<Address> parse_path(std::string_view path, AddressSyntax syntax, bool allow_null);

// A bare "local@domain" (as stored in an envelope).
Result<Address> parse_mailbox(std::string_view mailbox, AddressSyntax syntax);

}  // namespace herald::smtp
