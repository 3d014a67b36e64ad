#pragma once
// Base64 as DKIM writes it (RFC 6376 2.4 base64string): folding whitespace may appear
// anywhere inside b=, bh= and p= values and is ignored.
#include <optional>
#include <string>
#include <string_view>

namespace herald::mailauth::dkim {

std::string encode_base64(std::string_view bytes);
// nullopt unless the text, whitespace removed, is padded base64.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace herald::mailauth::dkim
