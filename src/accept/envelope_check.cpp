#include "accept/envelope_check.hpp"

#include <algorithm>

#include "smtp/canonical_address.hpp"

namespace herald::accept {

namespace {

Result<std::string> canonical(const std::string& address, const std::string& hostname) {
    if (address.find('@') == std::string::npos && !address.empty()) {
        return smtp::canonical_mailbox(address + "@" + hostname);
    }
    return smtp::canonical_mailbox(address);
}

EnvelopeRefusal bad_syntax(const std::string& address, bool is_sender, const std::string& why) {
    // The replies SMTP gives at MAIL and RCPT for an address it cannot parse.
    if (is_sender) return {address, true, smtp::Reply(553, "5.1.7", "Bad sender address: " + why)};
    return {address, false, smtp::Reply(553, "5.1.3", "Bad recipient address: " + why)};
}

}  // namespace

std::optional<EnvelopeRefusal> check_envelope(policy::SessionGate& gate,
                                              const smtp::SessionView& view,
                                              const std::string& sender,
                                              const std::vector<std::string>& recipients,
                                              const std::string& hostname,
                                              message::Envelope& envelope) {
    std::string canonical_sender;
    if (!sender.empty()) {
        auto parsed = canonical(sender, hostname);
        if (!parsed) return bad_syntax(sender, true, parsed.error());
        canonical_sender = std::move(*parsed);
    }
    if (auto refused = gate.check_sender(view, canonical_sender)) {
        return EnvelopeRefusal{sender, true, *refused};
    }
    smtp::SessionView with_sender = view;
    with_sender.sender = canonical_sender;
    envelope.sender = canonical_sender;
    envelope.recipients.clear();
    for (const auto& recipient : recipients) {
        auto parsed = canonical(recipient, hostname);
        if (!parsed) return bad_syntax(recipient, false, parsed.error());
        if (auto refused = gate.check_recipient(with_sender, *parsed)) {
            return EnvelopeRefusal{recipient, false, *refused};
        }
        for (auto& address : gate.delivery_addresses(*parsed)) {
            if (std::find(envelope.recipients.begin(), envelope.recipients.end(), address) ==
                envelope.recipients.end()) {
                envelope.recipients.push_back(std::move(address));
            }
        }
    }
    return std::nullopt;
}

}  // namespace herald::accept
