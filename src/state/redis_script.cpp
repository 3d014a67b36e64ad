#include "state/redis_script.hpp"

#include <openssl/sha.h>

#include <array>

namespace herald::state {

RedisScript::RedisScript(std::string source) : text(std::move(source)) {
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char byte : digest) {
        sha1 += kHex[byte >> 4];
        sha1 += kHex[byte & 15];
    }
}

}  // namespace herald::state
