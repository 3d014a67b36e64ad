#include "mailauth/dkim/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "mailauth/dkim/tag_list.hpp"

namespace herald::mailauth::dkim {

namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

}  // namespace

std::string encode_base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    for (char c : text) {
        if (!is_fws(c)) compact += c;
    }
    if (compact.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < compact.size() &&
           compact[compact.size() - 1 - padding] == '=') {
        ++padding;
    }
    if (!std::all_of(compact.begin(), compact.end() - static_cast<std::ptrdiff_t>(padding),
                     is_base64_char)) {
        return std::nullopt;
    }
    std::string out(compact.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(compact.data()),
                                  static_cast<int>(compact.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace herald::mailauth::dkim
