#pragma once
// A display name as it may stand in an address header (RFC 5322 3.4 phrase): a quoted
// string when it is ASCII, RFC 2047 encoded words ("Q", UTF-8) when it is not. Control
// characters are dropped, so no name can end the field it stands in.
#include <string>
#include <string_view>

namespace herald::message {

std::string display_name_phrase(std::string_view name);

// "phrase <address>", or the address alone when `name` is empty.
std::string mailbox_field(std::string_view name, std::string_view address);

}  // namespace herald::message
