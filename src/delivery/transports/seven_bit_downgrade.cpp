#include "delivery/transports/seven_bit_downgrade.hpp"

#include <chrono>
#include <vector>

#include "message/seven_bit_conversion.hpp"

namespace herald::delivery {

Result<std::string> SevenBitDowngrade::operator()(std::string_view message) const {
    std::vector<mailauth::dkim::OwnSignature> own;
    if (keyring_) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        own = keyring_->own_signatures(message, now);
    }
    if (own.empty()) return message::convert_to_seven_bit(message);

    // The stale fields go first: a signature that no longer verifies is worse than none,
    // and the new ones take their place at the top, where the intake put them.
    std::string unsigned_message;
    unsigned_message.reserve(message.size());
    std::size_t copied = 0;
    std::vector<mailauth::dkim::SigningChoice> choices;
    for (const auto& signature : own) {
        unsigned_message.append(message.substr(copied, signature.begin - copied));
        copied = signature.end;
        choices.push_back(signature.choice);
    }
    unsigned_message.append(message.substr(copied));

    auto converted = message::convert_to_seven_bit(unsigned_message);
    if (!converted) return converted;
    std::vector<std::string> failures;
    const std::string fields = mailauth::dkim::sign_message(*converted, choices, failures);
    for (const auto& failure : failures) {
        if (log_) log_(failure + " (re-signing the 7-bit form)");
    }
    converted->insert(0, fields);
    return converted;
}

}  // namespace herald::delivery
