#pragma once
// The body of POST /api/v1/messages, read and checked: what the client asked to send, before
// any policy has looked at it. Everything that can be judged from the JSON alone is judged
// here (shape, types, addresses, base64, UTF-8, header injection, limits), so that a request
// that gets past parse_message_request() is one the MIME builder can always build.
//
//   {"from": "App <app@example.com>", "to": ["a@example.net", ...], "cc": [...], "bcc": [...],
//    "raw": "<RFC 5322 message>"  |  "raw_base64": "<the same, base64>"
//    | "subject": "...", "text": "...", "html": "...",
//      "attachments": [{"filename": "a.pdf", "content_type": "application/pdf",
//                       "content": "<base64>"}],
//      "headers": {"X-Campaign": "spring"},
//    "substitutions": {"a@example.net": {"name": "Ann"}, ...},
//    "require_tls": true,
//    "dsn": {"notify": "success,failure", "ret": "full", "envid": "order-7"}}
//
// With "substitutions" the request is a batch: one message per "to" recipient, each with
// {{name}} replaced by that recipient's values (substitutions.hpp); without, one message to
// every recipient.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "message/dsn_request.hpp"

namespace herald::api {

struct Attachment {
    std::string filename;
    std::string content_type;  // "type/subtype", checked
    std::string content;       // decoded from base64
};

// A mailbox: the address in canonical form (smtp::canonical_mailbox) and a display name,
// "" when none was given.
struct Mailbox {
    std::string address;
    std::string name;
};

struct MessageRequest {
    Mailbox from;
    std::vector<Mailbox> to;
    std::vector<Mailbox> cc;
    std::vector<Mailbox> bcc;  // envelope only: never in a header
    // A whole message as given ("raw", or "raw_base64" decoded): the other content fields are
    // then absent.
    std::optional<std::string> raw;
    std::string subject;  // UTF-8, no CR or LF
    std::string text;     // UTF-8
    std::string html;     // UTF-8
    std::vector<Attachment> attachments;
    // Extra header fields in the order given; names are field names (RFC 5322 ftext), values
    // UTF-8 without CR or LF, and none names a field the builder writes itself.
    std::vector<std::pair<std::string, std::string>> headers;
    // By canonical recipient address (each one of `to`): the values of its {{placeholders}}.
    // Non-empty: a batch.
    std::map<std::string, std::map<std::string, std::string>> substitutions;
    // REQUIRETLS (RFC 8689): delivered only over TLS validated by DANE or MTA-STS, or bounced.
    bool require_tls = false;
    // Delivery status notifications (RFC 3461) for every recipient: "notify" as SMTP's NOTIFY
    // ("never", or "success", "failure" and "delay" joined by commas), "ret" ("full" or
    // "hdrs") and "envid" (1 to 100 printable characters), each optional.
    message::MessageDsn dsn;

    bool is_batch() const { return !substitutions.empty(); }
    // Every envelope recipient: to, cc and bcc, in that order.
    std::vector<std::string> recipients() const;
};

struct RequestLimits {
    std::size_t max_recipients = 1000;  // to + cc + bcc
    std::size_t max_attachments = 100;
    std::size_t max_headers = 100;
};

// Why a request is refused: the HTTP status (400 malformed, 413 too large, 422 well-formed but
// unsendable), a machine-readable code and a message for a human.
struct RequestError {
    unsigned status = 400;
    std::string code;  // e.g. "malformed_json", "invalid_address", "too_many_recipients"
    std::string message;
};

// RFC 2045 5.1 token: printable ASCII but SPACE and tspecials (a Content-Type's type and
// subtype).
bool is_mime_token(std::string_view s);

std::variant<MessageRequest, RequestError> parse_message_request(std::string_view body,
                                                                 const RequestLimits& limits);

}  // namespace herald::api
