#pragma once
// OpenSSL objects owned by RAII handles, and the one SHA-256 implementation DKIM uses
// (rsa-sha256 and ed25519-sha256 both hash with SHA-256: RFC 6376 3.3, RFC 8463 3).
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <string_view>

namespace herald::mailauth::dkim {

struct EvpPkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct EvpPkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct EvpMdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
// Keys are shared: EVP_PKEY is immutable once loaded and safe to use from several threads.
using PkeyPtr = std::shared_ptr<EVP_PKEY>;
inline PkeyPtr own_pkey(EVP_PKEY* key) {
    return PkeyPtr(key, EvpPkeyFree{});
}

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 fetched once: an implicit fetch per message is what makes OpenSSL 3 slow.
const EVP_MD* sha256_md();

class Sha256 {
  public:
    Sha256();
    void update(std::string_view bytes);
    Sha256Digest finish();

  private:
    MdCtxPtr ctx_;
};

}  // namespace herald::mailauth::dkim
