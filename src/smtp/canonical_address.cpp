#include "smtp/canonical_address.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"

namespace herald::smtp {

namespace {

// RFC 5322 3.2.3 atext, with UTF-8 allowed (RFC 6531 3.3: the parser has already refused
// non-ASCII where SMTPUTF8 was not given).
bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return is_non_ascii(c) ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_string(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || is_atext(c); });
}

std::string local_part_of(const Address& address) {
    const std::string unquoted = address.unquoted_local_part();
    if (is_dot_string(unquoted)) return unquoted;
    std::string quoted = "\"";
    for (char c : unquoted) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + '"';
}

}  // namespace

Result<std::string> canonical_domain(std::string_view domain) {
    if (domain.empty() || domain.front() == '[') return ascii_lowercase(domain);
    if (std::none_of(domain.begin(), domain.end(), is_non_ascii)) return ascii_lowercase(domain);
    char* converted = nullptr;
    const std::string input(domain);
    const int rc =
        idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    std::unique_ptr<char, decltype(&std::free)> owned(converted, &std::free);
    if (rc != IDN2_OK) {
        return Error{"bad international domain name: " + std::string(idn2_strerror(rc))};
    }
    return ascii_lowercase(owned.get());
}

Result<std::string> canonical_address(const Address& address) {
    if (address.is_null()) return std::string();
    if (address.domain.empty()) return ascii_lowercase(address.local_part);  // postmaster
    auto domain = canonical_domain(address.domain);
    if (!domain) return Error{domain.error()};
    return local_part_of(address) + "@" + *domain;
}

Result<std::string> canonical_mailbox(std::string_view mailbox) {
    auto address = parse_mailbox(mailbox, AddressSyntax::utf8);
    if (!address) return Error{address.error()};
    return canonical_address(*address);
}

}  // namespace herald::smtp
