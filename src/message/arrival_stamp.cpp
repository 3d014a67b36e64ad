#include "message/arrival_stamp.hpp"

#include <fmt/format.h>

#include <random>

#include "base/timestamp.hpp"
#include "message/display_name.hpp"
#include "message/header_block.hpp"
#include "message/received_header.hpp"

namespace herald::message {

namespace {

std::string received_field(const ArrivalStamp& stamp, const Envelope& envelope) {
    ReceivedHeader received;
    received.helo = envelope.helo;
    received.client_reverse_name = stamp.client_reverse_name;
    received.client_ip = envelope.client_ip;
    received.mask_client = stamp.mask_client;
    received.hostname = stamp.hostname;
    received.protocol = envelope.protocol;
    received.queue_id = stamp.queue_id;
    if (envelope.recipients.size() == 1) received.recipient = envelope.recipients.front();
    received.time = envelope.arrival;
    return received.field();
}

}  // namespace

std::string ArrivalStamp::new_message_id() const {
    std::random_device random;
    const auto high = static_cast<unsigned long long>(random());
    const auto low = static_cast<unsigned long long>(random());
    return fmt::format("<{}.{:08x}{:08x}@{}>", queue_id, high & 0xffffffffu, low & 0xffffffffu,
                       hostname);
}

std::string ArrivalStamp::apply(std::string_view text, const Envelope& envelope) const {
    const std::size_t end = header_section_end(text);
    const std::string_view rest = text.substr(end);
    std::string out = apply_to_header(text.substr(0, end), rest, envelope);
    out += rest;
    return out;
}

std::string ArrivalStamp::apply_to_header(std::string_view header_text, std::string_view rest,
                                          const Envelope& envelope) const {
    const HeaderBlock headers = HeaderBlock::parse(header_text);
    std::string added;
    if (add_missing_from && !envelope.sender.empty() && !headers.has("From")) {
        added += "From: " + mailbox_field(from_display_name, envelope.sender) + "\r\n";
    }
    if (add_missing_ids) {
        if (!headers.has("Message-ID")) added += "Message-ID: " + new_message_id() + "\r\n";
        if (!headers.has("Date")) added += "Date: " + rfc5322_date(envelope.arrival) + "\r\n";
    }
    added += added_fields;
    std::string out = received_field(*this, envelope);
    out.reserve(out.size() + header_text.size() + added.size() + 4);
    out += header_text;
    if (!added.empty() && !headers.ends_with_line_break()) out += "\r\n";
    out += added;
    // Without a header section the body's first line would read as a header after ours:
    // give it the blank line RFC 5322 2.1 puts between the two.
    const bool rest_starts_blank = rest.starts_with("\r\n") || rest.starts_with("\n");
    if (headers.fields().empty() && !rest.empty() && !rest_starts_blank) out += "\r\n";
    return out;
}

}  // namespace herald::message
