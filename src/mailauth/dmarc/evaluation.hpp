#pragma once
// DMARC evaluation (RFC 7489): policy discovery at _dmarc.<From domain>, then at the
// Organizational Domain (6.6.3); identifier alignment of SPF and DKIM, relaxed or strict
// (3.1); the policy that applies (p, or sp for a subdomain) and pct (6.6.4).
// evaluate() is pure; discover() and check() fetch the record through a dns::Resolver.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "mailauth/dmarc/record.hpp"
#include "mailauth/spf/check_host.hpp"

namespace herald::mailauth::dmarc {

// One DKIM signature's outcome: its d= and whether it verified.
struct DkimAuthentication {
    std::string domain;
    bool pass = false;
};

// What DMARC looks at: the RFC5322.From domain and what SPF and DKIM authenticated.
struct Identifiers {
    std::string from_domain;
    spf::Outcome spf = spf::Outcome::none;
    std::string spf_domain;  // the domain SPF checked: MAIL FROM's, or HELO's for <>
    std::vector<DkimAuthentication> dkim;
};

enum class PolicyStatus {
    found,      // one valid record
    none,       // no record at the From domain nor at its Organizational Domain
    invalid,    // one record, malformed (problem says how): no DMARC processing
    multiple,   // more than one record: no DMARC processing (6.6.3)
    temperror,  // DNS failed; try again later
};
std::string_view to_string(PolicyStatus status);

struct PolicyLookup {
    PolicyStatus status = PolicyStatus::none;
    Record record;                      // when found
    std::string record_domain;          // the name under _dmarc. that answered
    std::string organizational_domain;  // of the From domain
    std::string problem;                // for invalid, multiple, temperror
};

boost::asio::awaitable<PolicyLookup> discover(dns::Resolver& resolver, std::string from_domain);

struct Evaluation {
    bool pass = false;  // an aligned SPF or DKIM pass (3.1, 4.2)
    bool spf_aligned = false;
    bool dkim_aligned = false;
    std::string aligned_dkim_domain;  // the d= that passed aligned, if any
    PolicyLookup lookup;
    // The policy the domain asks for a failing message: p, or sp when the record came from
    // the Organizational Domain of a subdomain; none without a usable record.
    Policy policy = Policy::none;
    bool subdomain_policy = false;  // policy came from sp
    unsigned percent = 100;
    std::string why;  // one line: what aligned, or why nothing did

    // What to do with this message: none on pass; else the policy, or the next lower one
    // when the message falls outside pct (6.6.4). `draw` is uniform in [0, 100).
    Policy disposition(unsigned draw) const;
};

// Whether `a` and `b` are aligned (3.1.1, 3.1.2): equal under strict alignment, with the
// same Organizational Domain under relaxed.
bool aligned(std::string_view a, std::string_view b, Alignment mode);

Evaluation evaluate(const PolicyLookup& lookup, const Identifiers& identifiers);

boost::asio::awaitable<Evaluation> check(dns::Resolver& resolver, Identifiers identifiers);

}  // namespace herald::mailauth::dmarc
