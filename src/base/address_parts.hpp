#pragma once
// The two halves of an envelope address, split at its last '@': a quoted local part may hold
// an '@' of its own (RFC 5321 4.1.2), a domain never does.
#include <string_view>

namespace herald {

// "" when there is no '@' (the null sender, a bare local name).
inline std::string_view domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

// The whole address when there is no '@'.
inline std::string_view local_part_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? address : address.substr(0, at);
}

}  // namespace herald
