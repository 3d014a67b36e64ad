#pragma once
// The configured signing keys ([[dkim.key]]), chosen by the domain of the From: header so
// that the signature aligns with DMARC (RFC 7489 3.1.1): a domain's own keys, else the
// default keys of domain "*". Two keys for one domain (RSA and Ed25519) both sign.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/signer.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

// The domain of the single address in the From: field (lowercased); nullopt when there is
// no From:, several, or an address without a domain.
std::optional<std::string> author_domain(std::string_view message);
std::optional<std::string> author_domain(const message::HeaderBlock& headers);

class SigningKeys {
  public:
    // `domain`: the From: domain the key signs for, or "*".
    void add(std::string domain, Signer signer);
    bool empty() const { return keys_.empty(); }

    std::vector<const Signer*> for_domain(std::string_view from_domain) const;

    // The DKIM-Signature fields to prepend (one per key, d= the From: domain), or "" when no
    // key applies. Errors: a key failed to sign.
    Result<std::string> sign(std::string_view message, const SignOptions& options = {}) const;

  private:
    struct Entry {
        std::string domain;
        Signer signer;
    };
    std::vector<Entry> keys_;
};

}  // namespace herald::mailauth::dkim
