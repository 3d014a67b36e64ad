#pragma once
// Strict base64 (RFC 4648 4) for SASL exchanges: RFC 4954 4 requires rejecting bad encoding.
#include <optional>
#include <string>
#include <string_view>

namespace herald::smtp {

// nullopt for anything that is not canonical padded base64 (whitespace included).
std::optional<std::string> decode_base64(std::string_view text);

std::string encode_base64(std::string_view bytes);

}  // namespace herald::smtp
