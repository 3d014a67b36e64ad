#include "mailauth/dkim/public_key.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace herald::mailauth::dkim {

namespace {

Result<PublicKey> fail(std::string why) {
    ERR_clear_error();  // a refused key is an answer, not an error for others to trip on
    return Error{std::move(why)};
}

// SubjectPublicKeyInfo, as everyone publishes; RFC 6376 3.6.1 literally says RSAPublicKey,
// so that is accepted too.
EVP_PKEY* decode_rsa(std::string_view der) {
    auto* p = reinterpret_cast<const unsigned char*>(der.data());
    if (EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()))) {
        if (p == reinterpret_cast<const unsigned char*>(der.data() + der.size())) return key;
        EVP_PKEY_free(key);
        return nullptr;
    }
    p = reinterpret_cast<const unsigned char*>(der.data());
    return d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()));
}

}  // namespace

Result<PublicKey> PublicKey::from_record(const KeyRecord& record) {
    if (record.revoked()) return fail("key revoked");
    const std::string& der = record.public_key;
    if (record.key_type == "rsa") {
        PkeyPtr key = own_pkey(decode_rsa(der));
        if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
            return fail("key syntax error: p= is not an RSA public key");
        }
        return PublicKey(std::move(key), Algorithm::rsa_sha256);
    }
    if (record.key_type == "ed25519") {
        if (der.size() != 32) return fail("key syntax error: p= is not a 32-byte Ed25519 key");
        PkeyPtr key = own_pkey(EVP_PKEY_new_raw_public_key(
            EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der.data()), 32));
        if (!key) return fail("key syntax error: p= is not an Ed25519 key");
        return PublicKey(std::move(key), Algorithm::ed25519_sha256);
    }
    return fail("unsupported key type k=" + record.key_type.substr(0, 20));
}

int PublicKey::bits() const {
    return EVP_PKEY_get_bits(key_.get());
}

bool PublicKey::verify(const Sha256Digest& header_hash, std::string_view signature) const {
    const bool ok = check(header_hash, signature);
    ERR_clear_error();
    return ok;
}

bool PublicKey::check(const Sha256Digest& header_hash, std::string_view signature) const {
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    if (algorithm_ == Algorithm::ed25519_sha256) {
        // PureEdDSA over the SHA-256 hash (RFC 8463 3).
        MdCtxPtr ctx(EVP_MD_CTX_new());
        return ctx &&
               EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(),
                                       nullptr) == 1 &&
               EVP_DigestVerify(ctx.get(), sig, signature.size(), header_hash.data(),
                                header_hash.size()) == 1;
    }
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
           EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
           EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256_md()) == 1 &&
           EVP_PKEY_verify(ctx.get(), sig, signature.size(), header_hash.data(),
                           header_hash.size()) == 1;
}

}  // namespace herald::mailauth::dkim
