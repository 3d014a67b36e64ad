#include "queue/destination_label.hpp"

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"

namespace herald::queue {

std::string destination_label(std::string_view recipient) {
    std::string domain = ascii_lowercase(domain_of(recipient));
    return domain.empty() ? "none" : domain;
}

}  // namespace herald::queue
