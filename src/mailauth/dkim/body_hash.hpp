#pragma once
// The body hash (bh=, RFC 6376 3.7): SHA-256 over the canonical body, computed in one pass.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The body hashes one body needs for several signatures, one per body canonicalization
// asked for, fed in pieces: a spooled body is read once, in chunks, whatever signs it.
class StreamedBodyHashes {
  public:
    void want(Canonicalization c);  // before the first update()
    void update(std::string_view bytes);
    void finish();
    // After finish(); null for a canonicalization not wanted.
    const Sha256Digest* digest(Canonicalization c) const;

  private:
    struct Hash {
        Canonicalization c;
        std::unique_ptr<BodyHasher> hasher;
        Sha256Digest digest{};
    };
    std::vector<Hash> hashes_;
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
