#pragma once
// The list a message belongs to, by its List-Id field (RFC 2919): the part in angle
// brackets ("News <news.brand.test>" -> "news.brand.test"). The one-click unsubscribe links
// name it, and the suppression lists keep per-list entries under it.
#include <string>

#include "message/header_block.hpp"

namespace herald::message {

// The list id, "" without a List-Id field.
std::string list_id_of(const HeaderBlock& headers);

}  // namespace herald::message
