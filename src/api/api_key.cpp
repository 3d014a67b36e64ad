#include "api/api_key.hpp"

#include "api/idempotency_store.hpp"
#include "base/ascii_case.hpp"

namespace herald::api {

const config::ApiKey* api_key_for(std::string_view authorization,
                                  const std::vector<config::ApiKey>& keys) {
    constexpr std::string_view kScheme = "Bearer ";
    if (!starts_with_ignoring_case(authorization, kScheme)) return nullptr;
    const std::string_view token = authorization.substr(kScheme.size());
    if (token.empty()) return nullptr;
    const std::string digest = sha256_hex(token);
    const config::ApiKey* found = nullptr;
    for (const auto& key : keys) {
        unsigned char difference = key.key_sha256.size() == digest.size() ? 0 : 1;
        for (std::size_t i = 0; i < digest.size() && i < key.key_sha256.size(); ++i) {
            difference |= static_cast<unsigned char>(digest[i] ^ key.key_sha256[i]);
        }
        if (difference == 0) found = &key;
    }
    return found;
}

}  // namespace herald::api
