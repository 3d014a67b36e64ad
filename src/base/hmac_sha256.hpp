#pragma once
// HMAC-SHA256 (RFC 2104, FIPS 180-4): the signature of webhook requests and the tokens of
// VERP return paths. Keys and data of any length; OpenSSL computes.
#include <array>
#include <string>
#include <string_view>

namespace herald {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// Lower-case hexadecimal of bytes.
std::string lower_hex(const unsigned char* bytes, std::size_t size);

// Compares in time that does not depend on where the texts differ (a token check must not
// tell an attacker how much of a guess was right).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace herald
