#include "mailauth/dkim/private_key.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/key_record.hpp"
#include "mailauth/dkim/public_key.hpp"

namespace herald::mailauth::dkim {

namespace {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr std::size_t kMaxKeyFile = 64 * 1024;

// Wipes a buffer that held key material before it is freed.
struct Wiped {
    std::string text;
    ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

bool looks_like_raw_ed25519(std::string_view text) {
    return text.find("-----BEGIN") == std::string_view::npos && text.size() < 100;
}

}  // namespace

Result<PrivateKey> PrivateKey::adopt(EVP_PKEY* raw) {
    PkeyPtr key = own_pkey(raw);
    switch (EVP_PKEY_get_base_id(key.get())) {
        case EVP_PKEY_RSA:
            return PrivateKey(std::move(key), Algorithm::rsa_sha256);
        case EVP_PKEY_ED25519:
            return PrivateKey(std::move(key), Algorithm::ed25519_sha256);
        default:
            return Error{"unsupported key type (DKIM keys are RSA or Ed25519)"};
    }
}

Result<PrivateKey> PrivateKey::from_text(std::string_view text) {
    if (looks_like_raw_ed25519(text)) {
        auto seed = decode_base64(text);
        if (!seed || seed->size() != 32) return Error{"not a PEM private key"};
        Wiped wiped{std::move(*seed)};
        EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
            EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(wiped.text.data()),
            32);
        if (!key) return Error{"not an Ed25519 private key"};
        return adopt(key);
    }
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    ERR_clear_error();
    if (!key) return Error{"not a PEM private key (or it is encrypted)"};
    return adopt(key);
}

Result<PrivateKey> PrivateKey::load_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{file.string() + ": cannot read the private key"};
    Wiped content;
    content.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (content.text.size() > kMaxKeyFile) return Error{file.string() + ": too large for a key"};
    auto key = from_text(content.text);
    if (!key) return Error{file.string() + ": " + key.error()};
    return key;
}

Result<PrivateKey> PrivateKey::generate(Algorithm algorithm, int rsa_bits) {
    EVP_PKEY* key = nullptr;
    if (algorithm == Algorithm::ed25519_sha256) {
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    } else {
        if (rsa_bits < kMinSigningRsaBits || rsa_bits > 8192) {
            return Error{"RSA keys must have 2048 to 8192 bits"};
        }
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
    }
    ERR_clear_error();
    if (!key) return Error{"key generation failed"};
    return adopt(key);
}

int PrivateKey::bits() const {
    return EVP_PKEY_get_bits(key_.get());
}

std::string PrivateKey::public_key_base64() const {
    if (algorithm_ == Algorithm::ed25519_sha256) {
        std::string raw(32, '\0');
        std::size_t size = raw.size();
        EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &size);
        raw.resize(size);
        return encode_base64(raw);
    }
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key_.get(), &der);
    if (size <= 0) return {};
    std::string out = encode_base64({reinterpret_cast<char*>(der), static_cast<std::size_t>(size)});
    OPENSSL_free(der);
    return out;
}

std::string PrivateKey::record_text() const {
    const char* k = algorithm_ == Algorithm::rsa_sha256 ? "rsa" : "ed25519";
    return std::string("v=DKIM1; k=") + k + "; p=" + public_key_base64();
}

std::string PrivateKey::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        return {};
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<std::size_t>(size));
    OPENSSL_cleanse(data, static_cast<std::size_t>(size));
    return pem;
}

KeyMatch published_key_matches(const PrivateKey& key, std::string_view txt_record) {
    auto record = parse_key_record(txt_record);
    if (!record) return {false, "the published record is not a DKIM key: " + record.error()};
    if (record->revoked()) return {false, "the published key is revoked (empty p=)"};
    auto published = PublicKey::from_record(*record);
    if (!published) return {false, "the published key is unusable: " + published.error()};
    if (published->algorithm() != key.algorithm()) {
        return {false, "the published key is k=" + record->key_type + ", the private key is " +
                           std::string(to_string(key.algorithm()))};
    }
    if (!record->allows_sha256()) return {false, "the published record's h= excludes sha256"};
    if (!record->allows_email()) return {false, "the published record's s= excludes email"};
    if (EVP_PKEY_eq(published->get(), key.get()) != 1) {
        ERR_clear_error();
        return {false, "the published public key is not the private key's"};
    }
    return {true, "the published key matches"};
}

}  // namespace herald::mailauth::dkim
