#pragma once
// The public key record published at <selector>._domainkey.<domain> (RFC 6376 3.6.1).
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::mailauth::dkim {

struct KeyRecord {
    std::string key_type = "rsa";              // k=
    std::string public_key;                    // p=, decoded; empty: the key is revoked
    std::vector<std::string> hash_algorithms;  // h=, empty: any
    std::vector<std::string> service_types;    // s=, empty: "*"
    bool testing = false;                      // t=y
    bool strict_identity = false;              // t=s: i= must be in d= exactly

    bool revoked() const { return public_key.empty(); }
    bool allows_sha256() const;
    bool allows_email() const;
};

// The record text with its character-strings already joined (dns::Resolver::txt does that).
Result<KeyRecord> parse_key_record(std::string_view text);

}  // namespace herald::mailauth::dkim
