#pragma once
// UTF-8 as RFC 3629 defines it: what SMTPUTF8 addresses (RFC 6531) and JSON strings must be.
#include <string_view>

namespace herald {

// Well-formed UTF-8 (RFC 3629 4): no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s);

}  // namespace herald
