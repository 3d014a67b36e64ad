#pragma once
// A DKIM signing key (RSA or Ed25519) loaded once with OpenSSL 3, and the check that the
// public key published in DNS is its own. Key material never appears in error messages.
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mailauth/dkim/openssl_handles.hpp"
#include "mailauth/dkim/signature.hpp"

namespace herald::mailauth::dkim {

// RFC 8301 3.2: signers MUST use RSA keys of at least 1024 bits; Herald asks for 2048.
inline constexpr int kMinSigningRsaBits = 2048;

class PrivateKey {
  public:
    // PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"), or the base64 of a raw 32-byte
    // Ed25519 private key as RFC 8463 Appendix A prints it. Errors name the file.
    static Result<PrivateKey> load_file(const std::filesystem::path& file);
    static Result<PrivateKey> from_text(std::string_view text);
    // RSA of `rsa_bits` (at least 2048) or Ed25519.
    static Result<PrivateKey> generate(Algorithm algorithm, int rsa_bits = 2048);

    Algorithm algorithm() const { return algorithm_; }
    int bits() const;
    // The p= value: SubjectPublicKeyInfo for RSA (RFC 6376 3.6.1), the raw 32 bytes for
    // Ed25519 (RFC 8463 4.2), base64.
    std::string public_key_base64() const;
    // "v=DKIM1; k=rsa; p=..." as it is published.
    std::string record_text() const;
    // PKCS#8 PEM, for writing the key file.
    std::string to_pem() const;

    EVP_PKEY* get() const { return key_.get(); }

  private:
    PrivateKey(PkeyPtr key, Algorithm algorithm) : key_(std::move(key)), algorithm_(algorithm) {}
    static Result<PrivateKey> adopt(EVP_PKEY* key);

    PkeyPtr key_;
    Algorithm algorithm_;
};

struct KeyMatch {
    bool matches = false;
    std::string reason;  // why not, or "the published key matches"
};

// Whether a published _domainkey TXT record (character-strings joined) carries this key's
// public half: the check behind `require_dns_match`.
KeyMatch published_key_matches(const PrivateKey& key, std::string_view txt_record);

}  // namespace herald::mailauth::dkim
