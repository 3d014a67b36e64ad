#include "mailauth/dkim/signer.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "mailauth/dkim/base64.hpp"
#include "mailauth/dkim/body_hash.hpp"
#include "mailauth/dkim/header_hash.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

namespace {

bool lists_from(const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(),
                       [](const std::string& n) { return message::same_field_name(n, "From"); });
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
    static const std::vector<std::string> names = {"From",
                                                   "To",
                                                   "Cc",
                                                   "Subject",
                                                   "Date",
                                                   "Message-ID",
                                                   "Reply-To",
                                                   "MIME-Version",
                                                   "Content-Type",
                                                   "List-Unsubscribe",
                                                   "List-Unsubscribe-Post"};
    return names;
}

std::vector<std::string> select_headers(std::string_view message) {
    const auto block = message::HeaderBlock::parse(message);
    std::vector<std::string> names;
    for (const auto& name : default_signed_headers()) {
        std::size_t n = block.count(name);
        if (name == "From") ++n;
        names.insert(names.end(), n, lowercase(name));
    }
    return names;
}

Result<Signer> Signer::create(std::string selector, PrivateKey key) {
    if (!valid_dns_name(selector)) return Error{"bad selector \"" + selector + "\""};
    if (key.algorithm() != Algorithm::rsa_sha256)
        return Signer(std::move(selector), std::move(key), {});
    if (key.bits() < kMinSigningRsaBits) {
        return Error{"RSA key of " + std::to_string(key.bits()) +
                     " bits is too weak to sign with (at least 2048 bits, RFC 8301)"};
    }
    std::shared_ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr),
                                      EvpPkeyCtxFree{});
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256_md()) != 1) {
        ERR_clear_error();
        return Error{"cannot prepare the RSA key for signing"};
    }
    return Signer(std::move(selector), std::move(key), std::move(ctx));
}

Result<std::string> Signer::sign(std::string_view message, std::string_view domain,
                                 const SignOptions& options) const {
    const auto digest = hash_body(message_body(message), options.body_c).digest;
    return sign_header(message, digest, domain, options);
}

Result<std::string> Signer::sign_header(std::string_view message, const Sha256Digest& digest,
                                        std::string_view domain, const SignOptions& options) const {
    if (!valid_dns_name(domain)) return Error{"bad signing domain \"" + std::string(domain) + "\""};
    SignatureSpec spec;
    spec.algorithm = algorithm();
    spec.header_c = options.header_c;
    spec.body_c = options.body_c;
    spec.domain = std::string(domain);
    spec.selector = selector_;
    spec.identity = options.identity;
    spec.timestamp = options.timestamp ? *options.timestamp : std::int64_t{std::time(nullptr)};
    spec.signed_headers = options.headers.empty() ? select_headers(message) : options.headers;
    if (!lists_from(spec.signed_headers)) {
        return Error{"the signed header list must include From (RFC 6376 5.4)"};
    }
    for (const auto& name : spec.signed_headers) {
        if (name.empty() || name.find_first_of(": \t\r\n;") != std::string::npos) {
            return Error{"bad header name \"" + name + "\" in the signed header list"};
        }
    }
    spec.body_hash.assign(digest.begin(), digest.end());
    std::string field = format_unsigned_field(spec);
    const std::size_t b_at = field.size();
    return seal(message, spec.signed_headers, spec.header_c, std::move(field), b_at);
}

Result<std::string> Signer::sign_with_template(std::string_view message,
                                               std::string_view template_field) const {
    while (template_field.ends_with("\r\n")) template_field.remove_suffix(2);
    const std::size_t colon = template_field.find(':');
    if (colon == std::string_view::npos ||
        !message::same_field_name(template_field.substr(0, colon), kSignatureField)) {
        return Error{"the template is not a DKIM-Signature field"};
    }
    auto sig = parse_signature(template_field.substr(colon + 1));
    if (!sig) return Error{"template: " + sig.error()};
    if (sig->algorithm != algorithm()) return Error{"template: a= does not match the key"};
    const auto digest = hash_body(message_body(message), sig->body_c, sig->body_length).digest;
    if (sig->body_hash != std::string_view(reinterpret_cast<const char*>(digest.data()), 32)) {
        return Error{"template: bh= is not the hash of this body"};
    }
    std::string field(template_field);
    const std::size_t b_at = colon + 1 + sig->b_value_begin;
    field.erase(b_at, sig->b_value_end - sig->b_value_begin);
    return seal(message, sig->signed_headers, sig->header_c, std::move(field), b_at);
}

Result<std::string> Signer::seal(std::string_view message, const std::vector<std::string>& names,
                                 Canonicalization header_c, std::string field,
                                 std::size_t b_at) const {
    const auto block = message::HeaderBlock::parse(message);
    Sha256 sha;
    hash_signed_headers(sha, message, block, names, header_c);
    hash_signature_field(sha, field, header_c);
    auto signature = sign_digest(sha.finish());
    if (!signature) return Error{signature.error()};
    insert_folded_signature(field, b_at, encode_base64(*signature));
    field += "\r\n";
    return field;
}

Result<std::string> Signer::sign_digest(const Sha256Digest& digest) const {
    std::string signature;
    std::size_t size = 0;
    bool ok = false;
    if (rsa_ctx_) {
        PkeyCtxPtr ctx(EVP_PKEY_CTX_dup(rsa_ctx_.get()));
        ok = ctx && EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()) == 1;
        signature.resize(size);
        ok = ok && EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                                 &size, digest.data(), digest.size()) == 1;
    } else {
        // PureEdDSA over the SHA-256 of the headers (RFC 8463 3).
        MdCtxPtr ctx(EVP_MD_CTX_new());
        ok = ctx &&
             EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(),
                                   nullptr) == 1 &&
             EVP_DigestSign(ctx.get(), nullptr, &size, digest.data(), digest.size()) == 1;
        signature.resize(size);
        ok = ok && EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                                  &size, digest.data(), digest.size()) == 1;
    }
    if (!ok) {
        ERR_clear_error();
        return Error{"signing failed"};
    }
    signature.resize(size);
    return signature;
}

}  // namespace herald::mailauth::dkim
