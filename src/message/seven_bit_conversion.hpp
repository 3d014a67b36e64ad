#pragma once
// A message made fit for a server that does not offer 8BITMIME (RFC 6152 3, RFC 1652 3): each
// leaf part whose content has 8-bit octets is re-encoded (quoted-printable for text,
// base64 for the rest or where quoted-printable would triple the text), its
// Content-Transfer-Encoding set, and MIME-Version added to a message that had none. Pure:
// bytes in, bytes out.
//
// What stays byte for byte: a message that is already 7-bit, every part without 8-bit
// octets, every header field not named above, boundaries, preambles and epilogues.
//
// Refused (the caller fails the recipients with 5.6.3, "conversion required but not
// supported"), because no encoding can carry them:
// - 8-bit octets in a header section (the message's or a part's): only SMTPUTF8 allows them;
// - an 8-bit message/* other than message/rfc822 and message/global, and the 8-bit preamble
//   or epilogue of a multipart: composite types may not be encoded (RFC 2046 5.1.1, 5.2.1);
// - a malformed structure: a multipart without a boundary or its close delimiter, an
//   encoded (base64, quoted-printable) body that holds 8-bit octets, nesting beyond reason.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald::message {

// Quoted-printable lines are at most 76 characters before their CRLF (RFC 2045 6.7 (5)), and
// so are base64 lines (RFC 2045 6.8).
inline constexpr std::size_t kMaxEncodedLine = 76;

// Whether a header section has 8-bit octets: the message's, or that of a MIME part or an
// enclosed message (message/rfc822, message/global) at any depth. In SMTPUTF8 mail these are
// UTF-8 (RFC 6532 3.2, 3.5), and only a server that offers SMTPUTF8 may receive them.
bool has_eight_bit_header(std::string_view message);

// The message (CRLF lines, as spooled) in 7-bit MIME; `message` itself when it is 7-bit.
// Errors say why it cannot be converted.
Result<std::string> convert_to_seven_bit(std::string_view message);

// The encodings, for tests and for anyone else who needs them. `text` is canonical text
// (CRLF line breaks, kept as hard line breaks); a line of the output never begins with '-',
// so that no encoded line can be mistaken for a multipart boundary.
std::string encode_quoted_printable(std::string_view text);
std::string encode_base64_lines(std::string_view data);

}  // namespace herald::message
