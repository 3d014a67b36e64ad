#include "reports/verp.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"
#include "base/hmac_sha256.hpp"
#include "spool/message_id.hpp"

namespace herald::reports {

namespace {

constexpr std::string_view kPrefix = "b+";
constexpr std::size_t kMacLength = 16;  // 80 bits

// RFC 5321 4.1.2 Dot-string characters: what a local part may hold unquoted. '=' separates
// the VERP fields; it may appear in the recipient's local part, since the domain after the
// last '=' never holds one.
bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

std::string base32(const unsigned char* bytes, std::size_t size, std::size_t length) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < size && out.size() < length; ++i) {
        buffer = (buffer << 8) | bytes[i];
        bits += 8;
        while (bits >= 5 && out.size() < length) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    return out;
}

}  // namespace

std::string Verp::mac(std::string_view queue_id, std::string_view recipient) const {
    std::string text(queue_id);
    text += '\n';
    text += ascii_lowercase(recipient);
    const auto digest = hmac_sha256(key_, text);
    return base32(digest.data(), digest.size(), kMacLength);
}

std::optional<std::string> Verp::return_path(std::string_view queue_id,
                                             std::string_view recipient) const {
    const auto at = recipient.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == recipient.size()) return std::nullopt;
    const std::string_view local = recipient.substr(0, at);
    const std::string_view domain = recipient.substr(at + 1);
    if (!std::all_of(local.begin(), local.end(), is_atext)) return std::nullopt;
    if (!std::all_of(domain.begin(), domain.end(),
                     [](char c) { return is_atext(c) && c != '='; })) {
        return std::nullopt;
    }
    return std::string(kPrefix) + std::string(queue_id) + "." + mac(queue_id, recipient) + "=" +
           std::string(local) + "=" + std::string(domain) + "@" + domain_;
}

bool Verp::at_bounce_domain(std::string_view address) const {
    const auto at = address.rfind('@');
    return at != std::string_view::npos && equals_ignoring_case(address.substr(at + 1), domain_);
}

std::optional<Verp::Token> Verp::verify(std::string_view address) const {
    if (!at_bounce_domain(address)) return std::nullopt;
    const std::string lowered = ascii_lowercase(address.substr(0, address.rfind('@')));
    std::string_view local = lowered;
    if (!local.starts_with(kPrefix)) return std::nullopt;
    local.remove_prefix(kPrefix.size());
    const auto dot = local.find('.');
    const auto first_equals = local.find('=');
    const auto last_equals = local.rfind('=');
    if (dot == std::string_view::npos || first_equals == std::string_view::npos ||
        dot > first_equals || first_equals == last_equals) {
        return std::nullopt;
    }
    const std::string_view queue_id = local.substr(0, dot);
    const std::string_view given = local.substr(dot + 1, first_equals - dot - 1);
    const std::string recipient =
        std::string(local.substr(first_equals + 1, last_equals - first_equals - 1)) + "@" +
        std::string(local.substr(last_equals + 1));
    if (!spool::is_valid_message_id(queue_id) || given.size() != kMacLength) return std::nullopt;
    if (!equal_in_constant_time(given, mac(queue_id, recipient))) return std::nullopt;
    return Token{std::string(queue_id), recipient};
}

}  // namespace herald::reports
