#include "compliance/unsubscribe_link.hpp"

#include <array>

#include "base/ascii_case.hpp"
#include "base/hmac_sha256.hpp"
#include "base/timestamp.hpp"

namespace herald::compliance {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMacBytes = 16;
// A token is a few hundred characters at most; anything longer is not one of ours.
constexpr std::size_t kMaxToken = 2048;

int value_of(char c) {
    const auto at = kAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::string base64url(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            out += kAlphabet[(buffer >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
    return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = value_of(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    // Leftover bits must be zero padding, fewer than a byte: one encoding per text.
    if (bits >= 6 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

std::string UnsubscribeLinks::mac(std::string_view payload) const {
    const auto digest = hmac_sha256(key_, payload);
    return base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), kMacBytes));
}

std::string UnsubscribeLinks::url(std::string_view domain, std::string_view list,
                                  std::string_view recipient, Clock::time_point now) const {
    std::string payload = std::to_string(unix_seconds(now) + lifetime_.count());
    for (const std::string_view part :
         {ascii_lowercase(domain), std::string(list), ascii_lowercase(recipient)}) {
        payload += '\n';
        payload += part;
    }
    return base_url_ + "/" + base64url(payload) + "." + mac(payload);
}

UnsubscribeLinks::Verdict UnsubscribeLinks::verify(std::string_view token,
                                                   Clock::time_point now) const {
    const auto dot = token.find('.');
    if (token.size() > kMaxToken || dot == std::string_view::npos) return {};
    const auto payload = from_base64url(token.substr(0, dot));
    if (!payload) return {};
    if (!equal_in_constant_time(token.substr(dot + 1), mac(*payload))) {
        return {.refusal = Refusal::forged};
    }
    // Signed by us: the fields are as url() wrote them.
    std::array<std::string, 4> parts;
    std::size_t at = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto end = i + 1 < parts.size() ? payload->find('\n', at) : payload->size();
        if (end == std::string::npos) return {};
        parts[i] = payload->substr(at, end - at);
        at = end + 1;
    }
    UnsubscribeClaim claim{.domain = parts[1], .list = parts[2], .recipient = parts[3]};
    try {
        claim.expires = std::stoll(parts[0]);
    } catch (...) {
        return {};
    }
    if (claim.expires < unix_seconds(now)) return {.refusal = Refusal::expired};
    return {.claim = std::move(claim)};
}

}  // namespace herald::compliance
