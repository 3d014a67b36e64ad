#pragma once
// The 7-bit form of a message for a server that did not offer 8BITMIME, as the smtp transport
// sends it: message::convert_to_seven_bit, with Herald's own DKIM signatures made again over
// the result, since the conversion changes the body and headers they cover. Signatures made
// by others cannot be remade: they stay, and fail, and receivers treat a failed signature as
// none (RFC 6376 6.1).
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mailauth/dkim/keyring.hpp"

namespace herald::delivery {

class SevenBitDowngrade {
  public:
    using Log = std::function<void(const std::string&)>;

    // `keyring` null: no [[dkim.key]], the conversion alone. Shared: a reload that replaces
    // the keys leaves this transport, and the deliveries it has under way, with its own.
    explicit SevenBitDowngrade(std::shared_ptr<const mailauth::dkim::Keyring> keyring = nullptr,
                               Log log = {})
        : keyring_(std::move(keyring)), log_(std::move(log)) {}

    // The converted message, or why there is none.
    Result<std::string> operator()(std::string_view message) const;

  private:
    std::shared_ptr<const mailauth::dkim::Keyring> keyring_;
    Log log_;
};

}  // namespace herald::delivery
