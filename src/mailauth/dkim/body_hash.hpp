#pragma once
// The body hash (bh=, RFC 6376 3.7): SHA-256 over the canonical body, computed in one pass.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailauth/dkim/canonicalization.hpp"
#include "mailauth/dkim/openssl_handles.hpp"

namespace herald::mailauth::dkim {

class BodyHasher {
  public:
    // `length_limit`: the l= tag, the count of canonical octets that are hashed.
    explicit BodyHasher(Canonicalization c, std::optional<std::uint64_t> length_limit = {});
    BodyHasher(const BodyHasher&) = delete;
    BodyHasher& operator=(const BodyHasher&) = delete;

    void update(std::string_view bytes) { canonicalizer_.update(bytes); }
    Sha256Digest finish();
    // The canonical body length seen, to tell an l= longer than the body (RFC 6376 6.1.3).
    std::uint64_t canonical_length() const { return length_; }

  private:
    void hash(std::string_view canonical);

    Sha256 sha_;
    std::optional<std::uint64_t> limit_;
    std::uint64_t length_ = 0;
    BodyCanonicalizer canonicalizer_;
};

struct BodyDigest {
    Sha256Digest digest;
    std::uint64_t canonical_length = 0;
};
// The body hash of `body` in one pass.
BodyDigest hash_body(std::string_view body, Canonicalization c,
                     std::optional<std::uint64_t> length_limit = {});

// The body of a whole message: what follows the blank line after the header fields.
std::string_view message_body(std::string_view message);

}  // namespace herald::mailauth::dkim
