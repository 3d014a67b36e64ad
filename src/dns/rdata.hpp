#pragma once
// Decoding the record data of an answer (RFC 1035 3.3, RFC 3596 2.2). libunbound hands over
// each record's rdata with names already uncompressed, so a compression pointer here is
// malformed. Every decoder returns std::nullopt on malformed data rather than guessing.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dns/resolver.hpp"

namespace herald::dns {

using Rdata = std::span<const std::uint8_t>;

// A domain name filling the whole of `rdata`, in presentation form without the trailing dot
// ("" for the root); bytes that would be ambiguous in text are escaped as \DDD (RFC 1035 5.1).
std::optional<std::string> decode_name(Rdata rdata);
std::optional<MxRecord> decode_mx(Rdata rdata);
// The character-strings of one TXT record joined without separator (RFC 7208 3.3).
std::optional<std::string> decode_txt(Rdata rdata);
std::optional<std::string> decode_ipv4(Rdata rdata);
std::optional<std::string> decode_ipv6(Rdata rdata);
// RFC 6698 2.1: usage, selector, matching type, and at least one byte of association data.
std::optional<TlsaRecord> decode_tlsa(Rdata rdata);

}  // namespace herald::dns
