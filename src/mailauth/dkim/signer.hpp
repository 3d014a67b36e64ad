#pragma once
// Signing (RFC 6376 5, RFC 8463): a Signer is prepared once per configured key and then
// signs any number of messages, from any number of threads at once. It does no I/O: message
// bytes in, the DKIM-Signature field to prepend out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/canonicalization.hpp"
#include "mailauth/dkim/private_key.hpp"

namespace herald::mailauth::dkim {

struct SignOptions {
    Canonicalization header_c = Canonicalization::relaxed;
    Canonicalization body_c = Canonicalization::relaxed;
    // The h= list as given (e.g. from `--headers`); empty: the default policy, see below.
    std::vector<std::string> headers;
    // t=, seconds since the epoch; default now. Fixed in tests.
    std::optional<std::int64_t> timestamp;
    // i=, left out when empty.
    std::string identity;
};

// The fields signed by default when present: those whose change would alter what the reader
// sees or what a receiver does (RFC 6376 5.4.1). From is signed once more than it occurs, so
// that nobody can add a From: without breaking the signature (RFC 6376 8.15).
const std::vector<std::string>& default_signed_headers();

// The h= list the default policy gives for this message.
std::vector<std::string> select_headers(std::string_view message);

class Signer {
  public:
    // Refuses RSA keys under 2048 bits. `selector` is the s= of every signature.
    static Result<Signer> create(std::string selector, PrivateKey key);

    // The field to prepend, "DKIM-Signature: ...\r\n", signing `message` (CRLF line endings,
    // as it will be sent) for d=`domain`.
    Result<std::string> sign(std::string_view message, std::string_view domain,
                             const SignOptions& options = {}) const;

    // The same for a message whose body was hashed apart (read in pieces from the spool):
    // `header` holds its header section (more may follow: only the fields are read),
    // `body_hash` the bh= of its body under options.body_c.
    Result<std::string> sign_header(std::string_view header, const Sha256Digest& body_hash,
                                    std::string_view domain, const SignOptions& options = {}) const;

    // Signs with a DKIM-Signature field written by the caller (its tags taken as they are,
    // its b= value replaced): reproduces published examples such as RFC 8463 Appendix A.
    Result<std::string> sign_with_template(std::string_view message,
                                           std::string_view template_field) const;

    const std::string& selector() const { return selector_; }
    Algorithm algorithm() const { return key_.algorithm(); }
    const PrivateKey& key() const { return key_; }

  private:
    Signer(std::string selector, PrivateKey key, std::shared_ptr<EVP_PKEY_CTX> rsa_ctx)
        : selector_(std::move(selector)), key_(std::move(key)), rsa_ctx_(std::move(rsa_ctx)) {}

    // Hashes the headers and `field` (its b= value empty, at `b_at`), signs, fills in b=.
    Result<std::string> seal(std::string_view message, const std::vector<std::string>& names,
                             Canonicalization header_c, std::string field, std::size_t b_at) const;
    Result<std::string> sign_digest(const Sha256Digest& digest) const;

    std::string selector_;
    PrivateKey key_;
    std::shared_ptr<EVP_PKEY_CTX> rsa_ctx_;  // initialised for PKCS#1 v1.5 SHA-256; copied per use
};

}  // namespace herald::mailauth::dkim
