#pragma once
// The RFC 5322 message that the API sends for a request (message_request.hpp) that carries
// content fields rather than "raw", built with GMime: no header or MIME structure is written
// by pasting strings, so a value can never become a field or a boundary of its own.
//
// What it holds:
//   From (request.from), To (content.to), Cc (request.cc), Subject, the request's extra
//   header fields in order, MIME-Version, and the body. Never Bcc: blind recipients are
//   envelope only. No Message-ID or Date: the acceptance pipeline adds them.
//   The body: text alone is text/plain, html alone text/html, both multipart/alternative
//   (text first, RFC 2046 5.1.4: the richest last), neither an empty text/plain. With
//   attachments, multipart/mixed holding that body and then each attachment (base64,
//   Content-Disposition: attachment with its filename).
//
// Encoded for any relay (RFC 5321 2.4, RFC 6152 without 8BITMIME): the output is 7-bit,
// CRLF throughout, no line above 998 octets (RFC 5322 2.1.1), ending in CRLF. Non-ASCII
// display names, subject and header values are RFC 2047 encoded words, non-ASCII filenames
// RFC 2231 parameters, all UTF-8. Text and html are UTF-8 with their line breaks (LF, CRLF
// or a lone CR) made CRLF, the canonical form of text (RFC 2045 2.10), in the encoding GMime
// finds best: 7bit for short ASCII lines, else quoted-printable or, for mostly non-ASCII
// text, base64. A body that does not end in a line break may read back with one when it is
// the only part (7bit or quoted-printable), as every line of a message ends in CRLF.
//
// Refused with an error (parse_message_request() is to let none of these through): a request
// with "raw"; a line break or NUL in a header value, display name, subject or filename (it
// would start a field of its own); a non-ASCII address (only SMTPUTF8 carries one, and this
// output is for any relay); text that is not UTF-8; a header field the builder writes itself
// or a trace field (Received, Return-Path, Resent-*); a Sender, Reply-To or
// Disposition-Notification-To that is not a list of addresses; a non-ASCII Message-ID or
// Newsgroups (GMime writes them as given); a composite attachment type (RFC 2046 5.1.1 and
// 5.2.1 forbid base64 for multipart/* and message/*); and output that would break the
// promises above (a non-ASCII address in a Reply-To, a Message-ID too long for a line).
//
// Thread-safe: GMime is initialised once per process, and each call has its own objects.
#include <span>
#include <string>
#include <string_view>

#include "api/message_request.hpp"
#include "base/result.hpp"

namespace herald::api {

// What one message of a request carries: the request's content with any substitutions done,
// and the recipients its To: shows (in a batch, only the one recipient). The views must
// outlive the call.
struct MimeContent {
    const MessageRequest& request;  // from, cc, attachments and headers
    std::span<const Mailbox> to;
    std::string_view subject;
    std::string_view text;
    std::string_view html;
};

Result<std::string> build_mime_message(const MimeContent& content);

}  // namespace herald::api
