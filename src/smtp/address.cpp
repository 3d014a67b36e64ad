#include "smtp/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"

namespace herald::smtp {

namespace {

// RFC 5321 4.5.3.1: sizes an implementation must accept; longer ones we refuse.
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxDomain = 255;
constexpr std::size_t kMaxPath = 256;
constexpr std::size_t kMaxLabel = 63;

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 3.2.3 atext; RFC 6531 3.3 adds UTF8-non-ascii.
bool is_atext(char c, AddressSyntax syntax) {
    if (is_alnum(c)) return true;
    if (is_non_ascii(c)) return syntax == AddressSyntax::utf8;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_dot_string(std::string_view s, AddressSyntax syntax) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i - 1] == '.') return false;
        } else if (!is_atext(s[i], syntax)) {
            return false;
        }
    }
    return true;
}

// RFC 5321 4.1.2 Quoted-string: qtextSMTP and quoted-pairSMTP between DQUOTEs.
bool valid_quoted_string(std::string_view s, AddressSyntax syntax) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        const char c = s[i];
        if (c == '\\') {
            if (i + 2 >= s.size()) return false;  // the escape would eat the closing quote
            const char next = s[++i];
            if (next < 32 || next > 126) return false;
        } else if (c == '"') {
            return false;
        } else if (is_non_ascii(c)) {
            if (syntax != AddressSyntax::utf8) return false;
        } else if (c < 32 || c > 126) {
            return false;
        }
    }
    return true;
}

// RFC 5321 4.1.2 Domain: sub-domains of Let-dig [Ldh-str]; U-labels only under SMTPUTF8.
bool valid_domain(std::string_view s, AddressSyntax syntax) {
    if (s.empty() || s.size() > kMaxDomain) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = s.find('.', start);
        const std::string_view label =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > kMaxLabel) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            const bool ok =
                is_alnum(c) || c == '-' || (is_non_ascii(c) && syntax == AddressSyntax::utf8);
            if (!ok) return false;
        }
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// RFC 5321 4.1.3: [IPv4] or [IPv6:...]; other tags are not registered, so refused.
bool valid_address_literal(std::string_view s) {
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
    const std::string inner(s.substr(1, s.size() - 2));
    // inet_pton stops at a NUL: "[1.2.3.4\0junk]" must not pass as 1.2.3.4.
    if (inner.find('\0') != std::string::npos) return false;
    std::array<unsigned char, 16> buf{};
    constexpr std::string_view kIpv6Tag = "IPv6:";
    if (inner.size() > kIpv6Tag.size() && starts_with_ignoring_case(inner, kIpv6Tag)) {
        return inet_pton(AF_INET6, inner.c_str() + kIpv6Tag.size(), buf.data()) == 1;
    }
    return inet_pton(AF_INET, inner.c_str(), buf.data()) == 1;
}

// The '@' that separates local part from domain: the last one outside quotes.
std::size_t find_separator(std::string_view s) {
    bool quoted = false;
    std::size_t at = std::string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && s[i] == '@') {
            at = i;
        }
    }
    return at;
}

// RFC 5321 4.1.2 A-d-l: "@a,@b" before the ':'.
bool valid_source_route(std::string_view route, AddressSyntax syntax) {
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = route.find(',', start);
        const std::string_view hop = route.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (hop.size() < 2 || hop.front() != '@' || !valid_domain(hop.substr(1), syntax)) {
            return false;
        }
        if (comma == std::string_view::npos) return true;
        start = comma + 1;
    }
}

bool is_postmaster(std::string_view s) {
    return equals_ignoring_case(s, "postmaster");
}

}  // namespace

std::string Address::str() const {
    if (domain.empty()) return local_part;
    return local_part + "@" + domain;
}

std::string Address::unquoted_local_part() const {
    if (!quoted_local_part) return local_part;
    std::string out;
    for (std::size_t i = 1; i + 1 < local_part.size(); ++i) {
        if (local_part[i] == '\\' && i + 2 < local_part.size()) ++i;
        out += local_part[i];
    }
    return out;
}

bool Address::percent_hack() const {
    return unquoted_local_part().find('%') != std::string::npos;
}

bool Address::bang_path() const {
    return unquoted_local_part().find('!') != std::string::npos;
}

bool Address::at_in_local_part() const {
    return unquoted_local_part().find('@') != std::string::npos;
}

bool Address::routing_tricks() const {
    return has_source_route || percent_hack() || bang_path() || at_in_local_part();
}

Result<Address> parse_mailbox(std::string_view mailbox, AddressSyntax syntax) {
    Address address;
    address.utf8 = std::any_of(mailbox.begin(), mailbox.end(), is_non_ascii);
    if (address.utf8) {
        if (syntax != AddressSyntax::utf8) return Error{"non-ASCII address without SMTPUTF8"};
        if (!valid_utf8(mailbox)) return Error{"address is not valid UTF-8"};
    }
    // RFC 5321 4.5.1: <Postmaster> without a domain must be accepted as a recipient.
    if (is_postmaster(mailbox)) {
        address.local_part = std::string(mailbox);
        return address;
    }
    const std::size_t at = find_separator(mailbox);
    if (at == std::string_view::npos) return Error{"address has no domain"};
    const std::string_view local = mailbox.substr(0, at);
    const std::string_view domain = mailbox.substr(at + 1);
    address.quoted_local_part = !local.empty() && local.front() == '"';
    const bool local_ok = address.quoted_local_part ? valid_quoted_string(local, syntax)
                                                    : valid_dot_string(local, syntax);
    if (!local_ok) return Error{"bad local part"};
    if (local.size() > kMaxLocalPart) return Error{"local part longer than 64 octets"};
    address.address_literal = !domain.empty() && domain.front() == '[';
    const bool domain_ok =
        address.address_literal ? valid_address_literal(domain) : valid_domain(domain, syntax);
    if (!domain_ok) return Error{"bad domain"};
    address.local_part = std::string(local);
    address.domain = std::string(domain);
    return address;
}

Result<Address> parse_path(std::string_view path, AddressSyntax syntax, bool allow_null) {
    if (path.size() < 2 || path.front() != '<' || path.back() != '>') {
        return Error{"address must be enclosed in <>"};
    }
    if (path.size() > kMaxPath) return Error{"path longer than 256 octets"};
    std::string_view inner = path.substr(1, path.size() - 2);
    if (inner.empty()) {
        if (!allow_null) return Error{"empty address"};
        return Address{};
    }
    bool routed = false;
    if (inner.front() == '@') {
        const std::size_t colon = inner.find(':');
        if (colon == std::string_view::npos) return Error{"bad source route"};
        if (!valid_source_route(inner.substr(0, colon), syntax)) return Error{"bad source route"};
        inner = inner.substr(colon + 1);
        routed = true;
    }
    auto address = parse_mailbox(inner, syntax);
    if (!address) return address;
    if (routed && address->domain.empty()) return Error{"address has no domain"};
    address->has_source_route = routed;
    return address;
}

}  // namespace herald::smtp
