#pragma once
// The header half of a DKIM signature (RFC 6376 3.7): the signed fields, then the
// DKIM-Signature field itself, canonicalized into one SHA-256. Shared by signer and verifier
// so that both pick and canonicalize the fields the same way.
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim/canonicalization.hpp"
#include "mailauth/dkim/openssl_handles.hpp"
#include "message/header_block.hpp"

namespace herald::mailauth::dkim {

// For each name of h=, the last instance not yet used, from the bottom up; a name with no
// instance left contributes nothing, which signs its absence (RFC 6376 5.4.2).
void hash_signed_headers(Sha256& sha, std::string_view message, const message::HeaderBlock& block,
                         const std::vector<std::string>& names, Canonicalization c);

// The DKIM-Signature field with its b= value removed, without its final CRLF.
void hash_signature_field(Sha256& sha, std::string_view field_without_b, Canonicalization c);

}  // namespace herald::mailauth::dkim
