#pragma once
// An SPF record (RFC 7208 4.5, 4.6, 5, 6): its mechanisms in order and the redirect= and
// exp= modifiers. The whole record is parsed before any of it is evaluated, so a syntax
// error anywhere is a permerror (4.6) even after a mechanism that would have matched.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/spf/ip_address.hpp"

namespace herald::mailauth::spf {

enum class Qualifier : char { pass = '+', fail = '-', softfail = '~', neutral = '?' };

enum class MechanismKind { all, include, a, mx, ptr, ip4, ip6, exists };

struct Mechanism {
    Qualifier qualifier = Qualifier::pass;
    MechanismKind kind = MechanismKind::all;
    std::string domain_spec;           // include, a, mx, ptr, exists; "" for a, mx, ptr: <domain>
    std::optional<IpAddress> network;  // ip4, ip6
    unsigned cidr4 = 32;               // ip4, a, mx
    unsigned cidr6 = 128;              // ip6, a, mx
    std::string text;                  // as written, for the result's report

    // The mechanisms that cost a DNS lookup against the limit of 10 (4.6.4).
    bool counts_lookup() const;
};

struct Record {
    std::vector<Mechanism> mechanisms;
    std::string redirect;     // domain-spec of redirect=, "" when absent
    std::string explanation;  // domain-spec of exp=, "" when absent

    // `text` is the whole TXT string, "v=spf1" included.
    static Result<Record> parse(std::string_view text);
};

// Whether a TXT string is an SPF record: "v=spf1" (any case) then a space or the end (4.5).
bool is_spf_record(std::string_view text);

}  // namespace herald::mailauth::spf
