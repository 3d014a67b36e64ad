#pragma once
// The Organizational Domain of RFC 7489 3.2: the public suffix of a name plus one label,
// from the Public Suffix List (libpsl: the system's list when newer, else the built-in one).
#include <string>
#include <string_view>

namespace herald::mailauth::dmarc {

// Lower case, no trailing dot. A name that is itself a public suffix (or that libpsl cannot
// place) is its own organizational domain.
std::string organizational_domain(std::string_view domain);

// Lower case, trailing dot removed: the form names are compared in.
std::string canonical_domain(std::string_view domain);

}  // namespace herald::mailauth::dmarc
