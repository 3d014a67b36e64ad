#pragma once
// SMTP command lines (RFC 5321 4.1.1) and the arguments of MAIL and RCPT with the
// extensions Herald offers: SIZE (RFC 1870), BODY=8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
// REQUIRETLS (RFC 8689), DSN (RFC 3461).
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "message/dsn_request.hpp"
#include "smtp/address.hpp"
#include "smtp/reply.hpp"

namespace herald::smtp {

enum class Verb {
    helo,
    ehlo,
    mail,
    rcpt,
    data,
    bdat,
    rset,
    noop,
    quit,
    vrfy,
    help,
    starttls,
    auth,
    unknown
};

struct Command {
    Verb verb = Verb::unknown;
    std::string_view name;      // the verb as sent
    std::string_view argument;  // after the verb, surrounding spaces removed
};

// A command line without its CRLF. Verbs are case-insensitive (RFC 5321 2.4).
Command parse_command(std::string_view line);

struct MailArguments {
    Address sender;                     // is_null() for <>
    std::optional<std::uint64_t> size;  // SIZE=, saturated at UINT64_MAX
    bool body_8bit = false;
    bool smtputf8 = false;
    bool require_tls = false;                                         // REQUIRETLS (RFC 8689)
    message::DsnReturn dsn_return = message::DsnReturn::unspecified;  // RET=
    std::optional<std::string> envelope_id;                           // ENVID=, decoded
};

struct RcptArguments {
    Address recipient;
    message::RecipientDsn dsn;  // NOTIFY=, ORCPT=
};

// Either the arguments or the reply that refuses them (501, 553 or 555).
template <typename T>
using Parsed = std::variant<T, Reply>;

// The argument of MAIL: "FROM:<path> [params]". One space after the colon is tolerated.
Parsed<MailArguments> parse_mail_arguments(std::string_view argument);

// RFC 3030 2: "BDAT <chunk-size> [LAST]".
struct BdatArguments {
    std::uint64_t size = 0;
    bool last = false;
};
std::optional<BdatArguments> parse_bdat_arguments(std::string_view argument);

// The argument of RCPT: "TO:<path> [params]". UTF-8 is allowed when the transaction declared
// SMTPUTF8.
Parsed<RcptArguments> parse_rcpt_arguments(std::string_view argument, AddressSyntax syntax);

}  // namespace herald::smtp
