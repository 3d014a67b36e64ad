#include "mailauth/dkim/openssl_handles.hpp"

#include <new>

namespace herald::mailauth::dkim {

const EVP_MD* sha256_md() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), sha256_md(), nullptr) != 1) throw std::bad_alloc();
}

void Sha256::update(std::string_view bytes) {
    if (!bytes.empty()) EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

Sha256Digest Sha256::finish() {
    Sha256Digest digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size);
    return digest;
}

}  // namespace herald::mailauth::dkim
