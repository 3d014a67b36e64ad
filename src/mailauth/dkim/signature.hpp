#pragma once
// The DKIM-Signature header field (RFC 6376 3.5): parsed for verification, written (folded
// to lines of at most 78 characters, RFC 5322 2.1.1) for signing.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/canonicalization.hpp"

namespace herald::mailauth::dkim {

inline constexpr std::string_view kSignatureField = "DKIM-Signature";

// A selector or signing domain as it may appear in a DNS name (RFC 6376 3.1, 3.5): letters,
// digits, '-', '_' and inner dots. Anything else is refused before it reaches a query or a
// file name.
bool valid_dns_name(std::string_view name);

// rsa-sha1 is not here: RFC 8301 3.1 forbids both signing and verifying with it.
enum class Algorithm { rsa_sha256, ed25519_sha256 };
std::string_view to_string(Algorithm a);
std::optional<Algorithm> parse_algorithm(std::string_view text);

struct Signature {
    Algorithm algorithm = Algorithm::rsa_sha256;
    Canonicalization header_c = Canonicalization::simple;
    Canonicalization body_c = Canonicalization::simple;
    std::string domain;                        // d=
    std::string selector;                      // s=
    std::string identity;                      // i=, "@" + d= when absent
    std::vector<std::string> signed_headers;   // h=, in order
    std::string body_hash;                     // bh=, decoded
    std::string signature;                     // b=, decoded
    std::optional<std::int64_t> timestamp;     // t=
    std::optional<std::int64_t> expiration;    // x=
    std::optional<std::uint64_t> body_length;  // l=
    // The b= value within the parsed text, as TagList reports it.
    std::size_t b_value_begin = 0;
    std::size_t b_value_end = 0;
};

// Parses the field's value (what follows "DKIM-Signature:") and checks it as RFC 6376 6.1.1
// asks. The error says what is wrong, e.g. "unsupported algorithm rsa-sha1".
Result<Signature> parse_signature(std::string_view value);

// What a signer puts in a new signature.
struct SignatureSpec {
    Algorithm algorithm = Algorithm::rsa_sha256;
    Canonicalization header_c = Canonicalization::relaxed;
    Canonicalization body_c = Canonicalization::relaxed;
    std::string domain;
    std::string selector;
    std::string identity;  // i=, left out when empty
    std::optional<std::int64_t> timestamp;
    std::optional<std::int64_t> expiration;
    std::vector<std::string> signed_headers;
    std::string body_hash;  // raw bytes
};

// "DKIM-Signature: v=1; a=...; ...; bh=...; b=" folded, without final CRLF: the field as it
// is hashed, before the b= value is known.
std::string format_unsigned_field(const SignatureSpec& spec);

// Inserts `b64` as the b= value at `at`, folding it so that no line exceeds 78 characters.
void insert_folded_signature(std::string& field, std::size_t at, std::string_view b64);

}  // namespace herald::mailauth::dkim
