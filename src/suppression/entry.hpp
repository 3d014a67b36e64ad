#pragma once
// One entry of the suppression list (suppression_list.hpp): an address Herald must not mail,
// for one scope.
#include <cstdint>
#include <string>

namespace herald::suppression {

struct Entry {
    std::string address;
    std::string scope = "*";  // sender domain, "domain:list id", or "*" for every sender
    std::string reason;
    std::string source;        // "cli", "api", "bounce", "complaint", "unsubscribe", "import"
    std::int64_t created = 0;  // unix seconds; 0 in add(): now
};

}  // namespace herald::suppression
