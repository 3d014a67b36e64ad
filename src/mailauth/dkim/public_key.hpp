#pragma once
// A verifier's public key, built from a key record's p= (RFC 6376 3.6.1, RFC 8463 4.2).
#include <string_view>

#include "base/result.hpp"
#include "mailauth/dkim/key_record.hpp"
#include "mailauth/dkim/openssl_handles.hpp"
#include "mailauth/dkim/signature.hpp"

namespace herald::mailauth::dkim {

// RFC 8301 3.2: verifiers MUST NOT accept RSA keys of fewer than 1024 bits.
inline constexpr int kMinVerifyingRsaBits = 1024;

class PublicKey {
  public:
    // Fails on a revoked key, an unknown k=, a p= that is not a key of that type.
    static Result<PublicKey> from_record(const KeyRecord& record);

    Algorithm algorithm() const { return algorithm_; }
    int bits() const;
    // `header_hash`: SHA-256 of the canonical signed header fields (RFC 6376 3.7, RFC 8463 3).
    bool verify(const Sha256Digest& header_hash, std::string_view signature) const;

    EVP_PKEY* get() const { return key_.get(); }

  private:
    bool check(const Sha256Digest& header_hash, std::string_view signature) const;
    PublicKey(PkeyPtr key, Algorithm algorithm) : key_(std::move(key)), algorithm_(algorithm) {}

    PkeyPtr key_;
    Algorithm algorithm_;
};

}  // namespace herald::mailauth::dkim
