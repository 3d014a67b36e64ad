#pragma once
// What a sender asked of delivery status notifications (RFC 3461): for the message, how much
// of it comes back (RET) and its own id for it (ENVID); for each recipient, which outcomes
// are reported (NOTIFY) and the address as first given (ORCPT). Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::message {

// RET=: nothing asked (Herald returns the header section), FULL or HDRS.
enum class DsnReturn { unspecified, full, headers };

// What a request asks of DSNs for a whole message and all of its recipients at once
// (sendmail's -N, -R and -V; the sending API's "dsn"): Envelope::ask_for() applies it.
struct MessageDsn {
    std::optional<std::uint8_t> notify;  // RecipientDsn's; nullopt: not given
    DsnReturn ret = DsnReturn::unspecified;
    std::string envelope_id;  // decoded; "" when not given
    bool operator==(const MessageDsn&) const = default;
};

struct RecipientDsn {
    enum Notify : std::uint8_t { success = 1, failure = 2, delay = 4 };
    // NOTIFY=: nullopt when not given (failures and delays are reported, RFC 3461 4.1);
    // 0 for NEVER; else the Notify bits.
    std::optional<std::uint8_t> notify;
    std::string orcpt;  // ORCPT= decoded, "rfc822;bob@example.com"; "" when not given

    bool wants(Notify outcome) const {
        return notify ? (*notify & outcome) != 0 : outcome != success;
    }
    bool given() const { return notify || !orcpt.empty(); }
    bool operator==(const RecipientDsn&) const = default;
};

// RFC 3461 4: xtext, where "+XX" stands for an octet outside '!'..'~' or one of '+' and '='.
std::optional<std::string> decode_xtext(std::string_view text);
std::string encode_xtext(std::string_view text);

// "NEVER", or "SUCCESS,FAILURE,DELAY" in any order and case, no repeats; nullopt otherwise.
std::optional<std::uint8_t> parse_notify(std::string_view text);
std::string notify_text(std::uint8_t notify);  // "NEVER" or "SUCCESS,FAILURE,..."

// ORCPT=addr-type;xtext (RFC 3461 4.2): the decoded "addr-type;address", or nullopt. No
// control characters once decoded: it goes into the DSN's Original-Recipient field.
std::optional<std::string> parse_orcpt(std::string_view text);
// ENVID=xtext (RFC 3461 4.4): 1 to 100 printable ASCII characters once decoded, or nullopt.
std::optional<std::string> parse_envelope_id(std::string_view text);
// The same id given as it is, not as xtext (a command line, JSON).
std::optional<std::string> parse_plain_envelope_id(std::string_view text);

std::string_view dsn_return_text(DsnReturn ret);  // "FULL", "HDRS", ""
std::optional<DsnReturn> parse_dsn_return(std::string_view text);

}  // namespace herald::message
