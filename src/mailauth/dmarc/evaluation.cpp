#include "mailauth/dmarc/evaluation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "mailauth/dmarc/organizational_domain.hpp"

namespace herald::mailauth::dmarc {
namespace {

using boost::asio::awaitable;

// The TXT lookup at one name; status none when there is nothing to use there.
awaitable<PolicyLookup> lookup_at(dns::Resolver& resolver, const std::string& domain) {
    PolicyLookup lookup;
    const std::string name = "_dmarc." + domain;
    if (domain.empty() || name.size() > 253) co_return lookup;
    const auto answer = co_await resolver.txt(name);
    if (answer.status == dns::Status::nxdomain || answer.status == dns::Status::nodata)
        co_return lookup;
    if (!answer.ok()) {
        lookup.status = PolicyStatus::temperror;
        lookup.problem =
            "TXT lookup for " + name + ": " + std::string(dns::to_string(answer.status));
        co_return lookup;
    }
    // 6.6.3: records that are not v=DMARC1 are discarded; more than one left is no policy.
    std::vector<const std::string*> records;
    for (const auto& text : answer.records) {
        if (is_dmarc_record(text)) records.push_back(&text);
    }
    if (records.empty()) co_return lookup;
    lookup.record_domain = domain;
    if (records.size() > 1) {
        lookup.status = PolicyStatus::multiple;
        lookup.problem = "more than one DMARC record at " + name;
        co_return lookup;
    }
    auto record = Record::parse(*records.front());
    if (!record) {
        lookup.status = PolicyStatus::invalid;
        lookup.problem = name + ": " + record.error();
        co_return lookup;
    }
    lookup.status = PolicyStatus::found;
    lookup.record = std::move(*record);
    co_return lookup;
}

Policy one_lower(Policy policy) {
    return policy == Policy::reject ? Policy::quarantine : Policy::none;
}

std::string describe_dkim(const std::vector<DkimAuthentication>& dkim) {
    if (dkim.empty()) return "no DKIM signature";
    std::string out;
    for (const auto& signature : dkim) {
        if (!out.empty()) out += ", ";
        out += fmt::format("DKIM d={} {}", signature.domain, signature.pass ? "pass" : "fail");
    }
    return out;
}

}  // namespace

std::string_view to_string(PolicyStatus status) {
    switch (status) {
        case PolicyStatus::found:
            return "found";
        case PolicyStatus::none:
            return "none";
        case PolicyStatus::invalid:
            return "invalid";
        case PolicyStatus::multiple:
            return "multiple";
        case PolicyStatus::temperror:
            return "temperror";
    }
    return "none";
}

awaitable<PolicyLookup> discover(dns::Resolver& resolver, std::string from_domain) {
    const std::string domain = canonical_domain(from_domain);
    const std::string organizational = organizational_domain(domain);
    PolicyLookup lookup = co_await lookup_at(resolver, domain);
    // 6.6.3: only when the From domain has no record at all is the Organizational Domain asked.
    if (lookup.status == PolicyStatus::none && organizational != domain) {
        lookup = co_await lookup_at(resolver, organizational);
    }
    lookup.organizational_domain = organizational;
    co_return lookup;
}

bool aligned(std::string_view a, std::string_view b, Alignment mode) {
    const std::string left = canonical_domain(a), right = canonical_domain(b);
    if (left.empty() || right.empty()) return false;
    if (mode == Alignment::strict) return left == right;
    return left == right || organizational_domain(left) == organizational_domain(right);
}

Policy Evaluation::disposition(unsigned draw) const {
    if (pass || lookup.status != PolicyStatus::found) return Policy::none;
    return draw < percent ? policy : one_lower(policy);
}

Evaluation evaluate(const PolicyLookup& lookup, const Identifiers& identifiers) {
    Evaluation evaluation;
    evaluation.lookup = lookup;
    const Record& record = lookup.record;  // defaults (relaxed) when none was found
    const std::string from = canonical_domain(identifiers.from_domain);
    evaluation.spf_aligned = identifiers.spf == spf::Outcome::pass &&
                             aligned(identifiers.spf_domain, from, record.spf_alignment);
    for (const auto& signature : identifiers.dkim) {
        if (signature.pass && aligned(signature.domain, from, record.dkim_alignment)) {
            evaluation.dkim_aligned = true;
            evaluation.aligned_dkim_domain = canonical_domain(signature.domain);
            break;
        }
    }
    evaluation.pass = evaluation.spf_aligned || evaluation.dkim_aligned;
    if (lookup.status == PolicyStatus::found) {
        evaluation.subdomain_policy = lookup.record_domain != from;
        evaluation.policy = evaluation.subdomain_policy ? record.subdomain_policy : record.policy;
        evaluation.percent = record.percent;
    }
    if (evaluation.dkim_aligned) {
        evaluation.why =
            fmt::format("DKIM d={} passed, aligned with {} ({})", evaluation.aligned_dkim_domain,
                        from, to_string(record.dkim_alignment));
    } else if (evaluation.spf_aligned) {
        evaluation.why = fmt::format("SPF passed for {}, aligned with {} ({})",
                                     canonical_domain(identifiers.spf_domain), from,
                                     to_string(record.spf_alignment));
    } else {
        evaluation.why =
            fmt::format("nothing aligned with {}: SPF {} for {} ({} alignment); {} ({} alignment)",
                        from, spf::to_string(identifiers.spf),
                        identifiers.spf_domain.empty() ? "no domain" : identifiers.spf_domain,
                        to_string(record.spf_alignment), describe_dkim(identifiers.dkim),
                        to_string(record.dkim_alignment));
    }
    return evaluation;
}

awaitable<Evaluation> check(dns::Resolver& resolver, Identifiers identifiers) {
    std::string from_domain = identifiers.from_domain;  // moved: see check_mail_from
    const PolicyLookup lookup = co_await discover(resolver, std::move(from_domain));
    co_return evaluate(lookup, identifiers);
}

}  // namespace herald::mailauth::dmarc
