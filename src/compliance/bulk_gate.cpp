#include "compliance/bulk_gate.hpp"

#include <algorithm>

#include "base/ascii_case.hpp"
#include "compliance/unsubscribe_headers.hpp"
#include "mailauth/dkim/signature.hpp"

namespace herald::compliance {

namespace asio = boost::asio;

namespace {

bool signs_for(std::string_view signing_domain, std::string_view from_domain) {
    const std::string d = ascii_lowercase(signing_domain);
    return d == from_domain || (from_domain.size() > d.size() && from_domain.ends_with("." + d));
}

bool lists_both(const std::vector<std::string>& names) {
    const auto has = [&names](std::string_view wanted) {
        return std::any_of(names.begin(), names.end(),
                           [wanted](const std::string& n) { return ascii_lowercase(n) == wanted; });
    };
    return has("list-unsubscribe") && has("list-unsubscribe-post");
}

}  // namespace

Fact unsubscribe_signed(const message::HeaderBlock& headers, const std::string& from_domain,
                        const std::vector<mailauth::dkim::SigningChoice>& signing,
                        bool herald_adds_them) {
    for (const auto& choice : signing) {
        if (!signs_for(choice.domain, from_domain)) continue;
        // Herald's default h= lists both fields whenever they are there.
        if (choice.options.headers.empty() || lists_both(choice.options.headers)) {
            return Fact::holds;
        }
    }
    if (herald_adds_them) return Fact::fails;  // added after the client's signatures
    for (const auto& field : headers.fields()) {
        if (!message::same_field_name(field.name, mailauth::dkim::kSignatureField)) continue;
        auto signature = mailauth::dkim::parse_signature(field.value);
        if (signature && signs_for(signature->domain, from_domain) &&
            lists_both(signature->signed_headers)) {
            return Fact::holds;
        }
    }
    return Fact::fails;
}

bool BulkGate::counts_as_bulk(const message::HeaderBlock& headers, const std::string& from_domain) {
    const auto now = Clock::now();
    volume_.count_accepted(from_domain, now);
    return is_bulk_by_headers(headers) ||
           volume_.accepted_today(from_domain, now) >= settings_.daily_volume;
}

void set_alignment(const mailauth::PreflightResult& preflight, BulkFacts& facts) {
    facts.aligned = preflight.dmarc.pass ? Fact::holds : Fact::fails;
    facts.alignment_detail = preflight.summary();
    const auto& lookup = preflight.dmarc.lookup;
    using mailauth::dmarc::PolicyStatus;
    switch (lookup.status) {
        case PolicyStatus::found:
            facts.dmarc_record = Fact::holds;
            facts.dmarc_detail = "published at _dmarc." + lookup.record_domain;
            break;
        case PolicyStatus::temperror:
            facts.dmarc_detail = "not known: " + lookup.problem;
            break;
        case PolicyStatus::none:
            facts.dmarc_record = Fact::fails;
            facts.dmarc_detail = "no DMARC record at _dmarc." + facts.domain;
            break;
        default:
            facts.dmarc_record = Fact::fails;
            facts.dmarc_detail = "unusable DMARC record: " + lookup.problem;
    }
}

void set_reverse_dns(const mailauth::ReverseDns& rdns, const std::string& helo, BulkFacts& facts) {
    facts.reverse_dns_detail = rdns.detail;
    if (rdns.status == mailauth::ReverseDns::Status::temperror) return;
    const bool pass = rdns.status == mailauth::ReverseDns::Status::pass;
    facts.reverse_dns = pass ? Fact::holds : Fact::fails;
    facts.helo = helo;
    if (pass) {
        facts.helo_matches = equals_ignoring_case(helo, rdns.confirmed) ? Fact::holds : Fact::fails;
    }
}

void set_complaints(const SenderVolume& volume, SenderVolume::Clock::time_point now,
                    BulkFacts& facts) {
    const auto week = volume.last_week(facts.domain, now);
    facts.complaints = week.complaints;
    facts.delivered = week.delivered;
    facts.complaint_rate = volume.complaint_rate(facts.domain, now);
}

asio::awaitable<std::vector<RuleVerdict>> BulkGate::check(const BulkCandidate& c) {
    BulkFacts facts{.domain = c.from_domain, .max_complaint_rate = settings_.max_complaint_rate};
    set_alignment(co_await preflight_.check(c.preflight, resolver_), facts);
    const std::string problem = c.unsubscribe_added ? "" : one_click_problem(c.headers);
    if (!problem.empty()) {
        facts.unsubscribe = Fact::fails;
        facts.unsubscribe_detail = problem;
    } else {
        facts.unsubscribe =
            unsubscribe_signed(c.headers, c.from_domain, c.signing, c.unsubscribe_added);
        facts.unsubscribe_detail =
            (facts.unsubscribe == Fact::holds ? "one-click, covered by"
                                              : "one-click, not covered by") +
            std::string(" a DKIM signature of ") + c.from_domain;
    }
    co_await add_reverse_dns(c.preflight.ip, c.preflight.helo, facts);
    add_tls(c.envelope, facts);
    set_complaints(volume_, Clock::now(), facts);
    co_return judge(facts);
}

asio::awaitable<void> BulkGate::add_reverse_dns(const std::string& ip, const std::string& helo,
                                                BulkFacts& facts) {
    if (ip.empty()) {
        facts.reverse_dns_detail = "the sending address is not known ([preflight] ip)";
        co_return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (auto kept = reverse_dns_.find(ip);
        kept != reverse_dns_.end() && kept->second.expires > now) {
        set_reverse_dns(kept->second.result, helo, facts);
        co_return;
    }
    auto result = co_await mailauth::check_reverse_dns(resolver_, ip);
    set_reverse_dns(result, helo, facts);
    const bool failed = result.status == mailauth::ReverseDns::Status::temperror;
    if (reverse_dns_.size() >= kMostKept) reverse_dns_.clear();
    reverse_dns_.insert_or_assign(
        ip,
        KeptReverseDns{std::move(result), now + (failed ? dns::kResolutionFailureKept
                                                        : std::chrono::seconds(kReverseDnsKept))});
}

void BulkGate::add_tls(const message::Envelope& envelope, BulkFacts& facts) const {
    facts.tls = Fact::holds;
    facts.tls_detail = "STARTTLS offered to every receiver";
    if (!tls_problem_) return;
    for (const auto& recipient : envelope.recipients) {
        if (auto problem = tls_problem_(envelope.sender, recipient)) {
            facts.tls = Fact::fails;
            facts.tls_detail = *problem;
            return;
        }
    }
}

}  // namespace herald::compliance
