#pragma once
// What a message gets on arrival, before it is spooled: the Received trace field, and on
// submission the Message-ID and Date a sending client left out (RFC 6409 8.2, 8.3).
#include <string>
#include <string_view>

#include "message/envelope.hpp"

namespace herald::message {

struct ArrivalStamp {
    std::string hostname;
    std::string queue_id;
    std::string client_reverse_name;  // for Received; may be empty
    bool mask_client = false;         // submission: Received names no client (host, IP)
    bool add_missing_ids = false;     // submission: add Message-ID and Date when missing
    // Local injection (sendmail): a message without From: gets the envelope sender, as
    // sendmail(1) does, so that it can be signed and aligned.
    bool add_missing_from = false;
    std::string from_display_name;  // sendmail -F: the name that From: shows, UTF-8
    // Fields decided before the stamp (List-Unsubscribe), CRLF-ended, appended as they are.
    std::string added_fields;

    // The text with Received prepended and, when asked, Message-ID and Date appended to the
    // header section. Works on text without headers or without a blank line before the body.
    std::string apply(std::string_view text, const Envelope& envelope) const;

    // The same for a text kept apart (in a spool file): `header` is its header section
    // (header_section_end(text) octets), `rest_start` the first octets of what follows
    // (two suffice). Returns what replaces `header`: the rest follows it unchanged.
    std::string apply_to_header(std::string_view header, std::string_view rest_start,
                                const Envelope& envelope) const;

    // "<queueid.random@hostname>": unique even when queue ids repeat across hosts.
    std::string new_message_id() const;
};

}  // namespace herald::message
