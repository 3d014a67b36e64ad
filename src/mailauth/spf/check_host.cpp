#include "mailauth/spf/check_host.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <utility>
#include <vector>

#include "base/ascii_case.hpp"
#include "mailauth/spf/ip_address.hpp"
#include "mailauth/spf/macro.hpp"
#include "mailauth/spf/record.hpp"

namespace herald::mailauth::spf {
namespace {

using boost::asio::awaitable;

constexpr std::array<std::string_view, 7> kOutcomeNames = {
    "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"};

// Whether `name` equals `domain` or lies under it, case aside (5.5).
bool within(std::string_view name, std::string_view domain) {
    const std::string n = ascii_lowercase(name), d = ascii_lowercase(domain);
    return n == d || (n.size() > d.size() && n.ends_with(d) && n[n.size() - d.size() - 1] == '.');
}

// A name that DNS can be asked about: labels of 1 to 63 octets, 253 in all (RFC 1035 2.3.4).
bool is_queryable(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = name.find('.', start);
        const std::size_t length = (dot == std::string_view::npos ? name.size() : dot) - start;
        if (length == 0 || length > 63) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

Outcome outcome_of(Qualifier qualifier) {
    switch (qualifier) {
        case Qualifier::pass:
            return Outcome::pass;
        case Qualifier::fail:
            return Outcome::fail;
        case Qualifier::softfail:
            return Outcome::softfail;
        case Qualifier::neutral:
            return Outcome::neutral;
    }
    return Outcome::neutral;
}

// What one check_host() level decided.
struct Verdict {
    Outcome outcome = Outcome::neutral;
    std::string domain;
    std::string mechanism;
    std::string explanation_spec;  // exp= of the deciding record (6.2), for a fail
    std::string problem;
};

struct Match {
    enum Kind { no_match, match, error } kind = no_match;
    Outcome error_outcome = Outcome::permerror;
    std::string problem;

    static Match yes() { return {match, Outcome::none, ""}; }
    static Match no() { return {}; }
    static Match fail(Outcome outcome, std::string problem) {
        return {error, outcome, std::move(problem)};
    }
};

class Evaluator {
  public:
    Evaluator(dns::Resolver& resolver, MacroValues values)
        : resolver_(resolver), values_(std::move(values)) {}

    awaitable<Verdict> check(const std::string& name);
    awaitable<std::string> explain(const Verdict& verdict);

  private:
    awaitable<Match> match(const Mechanism& mechanism, const std::string& domain);
    awaitable<Match> match_include(const Mechanism& mechanism, const std::string& domain);
    awaitable<Match> match_a(const Mechanism& mechanism, const std::string& domain);
    awaitable<Match> match_mx(const Mechanism& mechanism, const std::string& domain);
    awaitable<Match> match_ptr(const Mechanism& mechanism, const std::string& domain);
    awaitable<Match> match_exists(const Mechanism& mechanism, const std::string& domain);
    awaitable<Verdict> follow_redirect(const Record& record, const std::string& domain);

    // The target-name of a mechanism: its expanded domain-spec, or <domain> (4.8).
    awaitable<Result<std::string>> target(std::string_view spec, const std::string& domain);
    awaitable<dns::Answer<std::string>> addresses(const std::string& name);
    awaitable<bool> has_address(const std::string& name);
    awaitable<std::string> validated_name(const std::string& domain);
    std::optional<Match> count_lookup();
    std::optional<Match> count_void();

    dns::Resolver& resolver_;
    MacroValues values_;
    int lookups_ = 0;
    int void_lookups_ = 0;
    std::map<std::string, std::string> validated_names_;  // %{p} by <domain>
};

awaitable<Verdict> Evaluator::check(const std::string& name) {
    const std::string domain(dns::without_root_dot(name));
    Verdict verdict{Outcome::none, domain, "", "", ""};
    // 4.3: a malformed or single-label <domain> gives none, before any query.
    if (!is_queryable(domain) || domain.find('.') == std::string::npos) {
        verdict.problem = "'" + domain + "' is not a valid domain name";
        co_return verdict;
    }
    const auto answer = co_await resolver_.txt(domain);
    if (answer.status == dns::Status::nxdomain || answer.status == dns::Status::nodata) {
        verdict.problem = "no SPF record at " + domain;
        co_return verdict;
    }
    if (!answer.ok()) {
        verdict.outcome = Outcome::temperror;
        verdict.problem =
            "TXT lookup for " + domain + ": " + std::string(dns::to_string(answer.status));
        co_return verdict;
    }
    std::vector<const std::string*> records;
    for (const auto& text : answer.records) {
        if (is_spf_record(text)) records.push_back(&text);
    }
    if (records.empty()) {
        verdict.problem = "no SPF record at " + domain;
        co_return verdict;
    }
    if (records.size() > 1) {  // 4.5
        verdict.outcome = Outcome::permerror;
        verdict.problem = "more than one SPF record at " + domain;
        co_return verdict;
    }
    auto record = Record::parse(*records.front());
    if (!record) {
        verdict.outcome = Outcome::permerror;
        verdict.problem = "SPF record of " + domain + ": " + record.error();
        co_return verdict;
    }
    for (const auto& mechanism : record->mechanisms) {
        const Match matched = co_await match(mechanism, domain);
        if (matched.kind == Match::no_match) continue;
        if (matched.kind == Match::error) {
            verdict.outcome = matched.error_outcome;
            verdict.mechanism = mechanism.text;
            verdict.problem = matched.problem;
            co_return verdict;
        }
        verdict.outcome = outcome_of(mechanism.qualifier);
        verdict.mechanism = mechanism.text;
        if (verdict.outcome == Outcome::fail) verdict.explanation_spec = record->explanation;
        co_return verdict;
    }
    // 4.7: no mechanism matched; redirect= applies, else neutral.
    if (!record->redirect.empty()) co_return co_await follow_redirect(*record, domain);
    verdict.outcome = Outcome::neutral;
    co_return verdict;
}

awaitable<Verdict> Evaluator::follow_redirect(const Record& record, const std::string& domain) {
    Verdict verdict{Outcome::permerror, domain, "redirect=" + record.redirect, "", ""};
    if (auto over = count_lookup()) {
        verdict.problem = over->problem;
        co_return verdict;
    }
    auto target_name = co_await target(record.redirect, domain);
    if (!target_name) {
        verdict.problem = target_name.error();
        co_return verdict;
    }
    Verdict redirected = co_await check(*target_name);
    // 6.1: a target without an SPF record (or a malformed one) is a permerror, not none.
    if (redirected.outcome == Outcome::none) {
        redirected.outcome = Outcome::permerror;
        redirected.problem = "redirect=" + record.redirect + ": " + redirected.problem;
    }
    co_return redirected;
}

awaitable<Match> Evaluator::match(const Mechanism& mechanism, const std::string& domain) {
    if (mechanism.counts_lookup()) {
        if (auto over = count_lookup()) co_return *over;
    }
    switch (mechanism.kind) {
        case MechanismKind::all:
            co_return Match::yes();
        case MechanismKind::ip4:
        case MechanismKind::ip6:
            co_return values_.ip.in(*mechanism.network, mechanism.kind == MechanismKind::ip4
                                                            ? mechanism.cidr4
                                                            : mechanism.cidr6)
                ? Match::yes()
                : Match::no();
        case MechanismKind::include:
            co_return co_await match_include(mechanism, domain);
        case MechanismKind::a:
            co_return co_await match_a(mechanism, domain);
        case MechanismKind::mx:
            co_return co_await match_mx(mechanism, domain);
        case MechanismKind::ptr:
            co_return co_await match_ptr(mechanism, domain);
        case MechanismKind::exists:
            co_return co_await match_exists(mechanism, domain);
    }
    co_return Match::no();
}

awaitable<Match> Evaluator::match_include(const Mechanism& mechanism, const std::string& domain) {
    auto target_name = co_await target(mechanism.domain_spec, domain);
    if (!target_name) co_return Match::fail(Outcome::permerror, target_name.error());
    const Verdict included = co_await check(*target_name);
    // 5.2: the table of what an included result means.
    switch (included.outcome) {
        case Outcome::pass:
            co_return Match::yes();
        case Outcome::fail:
        case Outcome::softfail:
        case Outcome::neutral:
            co_return Match::no();
        case Outcome::temperror:
            co_return Match::fail(Outcome::temperror, included.problem);
        case Outcome::none:
        case Outcome::permerror:
            co_return Match::fail(Outcome::permerror,
                                  "include:" + *target_name + ": " + included.problem);
    }
    co_return Match::no();
}

awaitable<Match> Evaluator::match_a(const Mechanism& mechanism, const std::string& domain) {
    auto target_name = co_await target(mechanism.domain_spec, domain);
    if (!target_name) co_return Match::fail(Outcome::permerror, target_name.error());
    const auto answer = co_await addresses(*target_name);
    if (answer.temporary() || answer.status == dns::Status::error) {
        co_return Match::fail(Outcome::temperror, "address lookup for " + *target_name + " failed");
    }
    if (!answer.ok()) co_return count_void().value_or(Match::no());
    const unsigned prefix = values_.ip.is_v4() ? mechanism.cidr4 : mechanism.cidr6;
    for (const auto& text : answer.records) {
        const auto address = IpAddress::parse(text);
        if (address && values_.ip.in(*address, prefix)) co_return Match::yes();
    }
    co_return Match::no();
}

awaitable<Match> Evaluator::match_mx(const Mechanism& mechanism, const std::string& domain) {
    auto target_name = co_await target(mechanism.domain_spec, domain);
    if (!target_name) co_return Match::fail(Outcome::permerror, target_name.error());
    if (!is_queryable(*target_name)) co_return count_void().value_or(Match::no());
    const auto answer = co_await resolver_.mx(*target_name);
    if (answer.temporary() || answer.status == dns::Status::error) {
        co_return Match::fail(Outcome::temperror, "MX lookup for " + *target_name + " failed");
    }
    if (!answer.ok()) co_return count_void().value_or(Match::no());
    const unsigned prefix = values_.ip.is_v4() ? mechanism.cidr4 : mechanism.cidr6;
    std::size_t checked = 0;
    for (const auto& mx : answer.records) {
        if (mx.host.empty()) continue;  // the null MX (RFC 7505) names no host
        // 4.6.4: more than 10 MX names to look at is a permerror.
        if (++checked > kMaxMxNames) {
            co_return Match::fail(Outcome::permerror,
                                  *target_name + " has more than 10 MX records");
        }
        const auto hosts = co_await addresses(mx.host);
        if (hosts.temporary())
            co_return Match::fail(Outcome::temperror, "address lookup for " + mx.host + " failed");
        for (const auto& text : hosts.records) {
            const auto address = IpAddress::parse(text);
            if (address && values_.ip.in(*address, prefix)) co_return Match::yes();
        }
    }
    co_return Match::no();
}

awaitable<Match> Evaluator::match_ptr(const Mechanism& mechanism, const std::string& domain) {
    auto target_name = co_await target(mechanism.domain_spec, domain);
    if (!target_name) co_return Match::fail(Outcome::permerror, target_name.error());
    const auto answer = co_await resolver_.ptr(values_.ip.to_string());
    if (answer.status == dns::Status::nxdomain || answer.status == dns::Status::nodata) {
        co_return count_void().value_or(Match::no());
    }
    // 5.5: a failed PTR lookup is no match; a failed A lookup skips that name.
    if (!answer.ok()) co_return Match::no();
    const std::size_t names = std::min(answer.records.size(), kMaxPtrNames);
    for (std::size_t i = 0; i < names; ++i) {
        const std::string& name = answer.records[i];
        // Only names under the target could match: validating the others costs queries for
        // nothing (5.5 allows skipping them).
        if (!within(name, *target_name)) continue;
        if (co_await has_address(name)) co_return Match::yes();
    }
    co_return Match::no();
}

awaitable<Match> Evaluator::match_exists(const Mechanism& mechanism, const std::string& domain) {
    auto target_name = co_await target(mechanism.domain_spec, domain);
    if (!target_name) co_return Match::fail(Outcome::permerror, target_name.error());
    if (!is_queryable(*target_name)) co_return count_void().value_or(Match::no());
    // 5.7: always an A query, whatever the client's address family.
    const auto answer = co_await resolver_.a(*target_name);
    if (answer.temporary() || answer.status == dns::Status::error) {
        co_return Match::fail(Outcome::temperror, "A lookup for " + *target_name + " failed");
    }
    if (!answer.ok() || answer.records.empty()) co_return count_void().value_or(Match::no());
    co_return Match::yes();
}

awaitable<Result<std::string>> Evaluator::target(std::string_view spec, const std::string& domain) {
    if (spec.empty()) co_return domain;
    MacroValues values = values_;
    values.domain = domain;
    if (uses_macro(spec, 'p')) values.validated_name = co_await validated_name(domain);
    auto expanded = expand(spec, values, MacroUse::domain);
    if (!expanded) co_return Error{"'" + std::string(spec) + "': " + expanded.error()};
    co_return std::move(*expanded);
}

awaitable<dns::Answer<std::string>> Evaluator::addresses(const std::string& name) {
    if (!is_queryable(name)) {
        // Not a name DNS could hold (an empty or over-long label): as if it did not exist.
        dns::Answer<std::string> none;
        none.status = dns::Status::nxdomain;
        co_return none;
    }
    if (values_.ip.is_v4()) co_return co_await resolver_.a(name);
    co_return co_await resolver_.aaaa(name);
}

// Whether `name` has an address record equal to the client's (the validation of 5.5).
awaitable<bool> Evaluator::has_address(const std::string& name) {
    const auto answer = co_await addresses(name);
    co_return std::ranges::any_of(answer.records, [&](const std::string& text) {
        const auto address = IpAddress::parse(text);
        return address && *address == values_.ip;
    });
}

// %{p} (7.3): a validated name of the client, <domain> itself or one under it preferred;
// "unknown" when none validates. Its queries are not counted: the RFC leaves it best effort.
awaitable<std::string> Evaluator::validated_name(const std::string& domain) {
    if (auto cached = validated_names_.find(domain); cached != validated_names_.end()) {
        co_return cached->second;
    }
    std::string found = "unknown";
    const auto answer = co_await resolver_.ptr(values_.ip.to_string());
    if (answer.ok()) {
        std::vector<std::string> names(
            answer.records.begin(),
            answer.records.begin() + std::min(answer.records.size(), kMaxPtrNames));
        auto rank = [&](const std::string& name) {
            return ascii_lowercase(name) == ascii_lowercase(domain) ? 0
                   : within(name, domain)                           ? 1
                                                                    : 2;
        };
        std::ranges::stable_sort(names, {}, rank);
        for (const auto& name : names) {
            if (co_await has_address(name)) {
                found = name;
                break;
            }
        }
    }
    validated_names_[domain] = found;
    co_return found;
}

std::optional<Match> Evaluator::count_lookup() {
    if (++lookups_ > kMaxDnsMechanisms) {
        return Match::fail(Outcome::permerror,
                           "more than 10 DNS-querying mechanisms (RFC 7208 4.6.4)");
    }
    return std::nullopt;
}

std::optional<Match> Evaluator::count_void() {
    if (++void_lookups_ > kMaxVoidLookups) {
        return Match::fail(Outcome::permerror, "more than 2 void DNS lookups (RFC 7208 4.6.4)");
    }
    return std::nullopt;
}

// 6.2: any trouble with the explanation means there is none; its query is not counted.
awaitable<std::string> Evaluator::explain(const Verdict& verdict) {
    if (verdict.explanation_spec.empty()) co_return "";
    const auto name = co_await target(verdict.explanation_spec, verdict.domain);
    if (!name || !is_queryable(*name)) co_return "";
    const auto answer = co_await resolver_.txt(*name);
    if (!answer.ok() || answer.records.size() != 1) co_return "";
    const std::string& text = answer.records.front();
    if (std::ranges::any_of(text, [](char c) { return c < 0x20 || c > 0x7e; })) co_return "";
    MacroValues values = values_;
    values.domain = verdict.domain;
    if (uses_macro(text, 'p')) values.validated_name = co_await validated_name(verdict.domain);
    values.timestamp = std::to_string(std::time(nullptr));
    auto expanded = expand(text, values, MacroUse::explanation);
    co_return expanded ? std::move(*expanded) : "";
}

}  // namespace

std::string_view to_string(Outcome outcome) {
    return kOutcomeNames[static_cast<std::size_t>(outcome)];
}

std::optional<Outcome> outcome_from_string(std::string_view text) {
    const std::string name = ascii_lowercase(text);
    for (std::size_t i = 0; i < kOutcomeNames.size(); ++i) {
        if (kOutcomeNames[i] == name) return static_cast<Outcome>(i);
    }
    return std::nullopt;
}

awaitable<CheckResult> check_host(dns::Resolver& resolver, const std::string& ip,
                                  const std::string& domain, const std::string& sender,
                                  const std::string& helo, const CheckOptions& options) {
    const auto address = IpAddress::parse(ip);
    if (!address)
        co_return CheckResult{Outcome::permerror, domain, "", "",
                              "'" + ip + "' is not an IP address"};
    const auto at = sender.rfind('@');
    MacroValues values{
        .sender = sender,
        .local_part = at == std::string::npos ? "postmaster" : sender.substr(0, at),
        .sender_domain = at == std::string::npos ? domain : sender.substr(at + 1),
        .domain = domain,
        .ip = *address,
        .helo = helo,
        .validated_name = "unknown",
        .receiver = options.receiver,
        .timestamp = "",
    };
    Evaluator evaluator(resolver, std::move(values));
    Verdict verdict = co_await evaluator.check(domain);
    CheckResult result{verdict.outcome, verdict.domain, verdict.mechanism, "", verdict.problem};
    if (verdict.outcome == Outcome::fail) result.explanation = co_await evaluator.explain(verdict);
    co_return result;
}

awaitable<CheckResult> check_mail_from(dns::Resolver& resolver, const std::string& ip,
                                       const std::string& reverse_path, const std::string& helo,
                                       const CheckOptions& options) {
    const std::string mail_from = reverse_path.empty() ? "postmaster@" + helo : reverse_path;
    const auto at = mail_from.rfind('@');
    std::string local = at == std::string::npos ? "" : mail_from.substr(0, at);
    std::string domain = at == std::string::npos ? mail_from : mail_from.substr(at + 1);
    if (local.empty()) local = "postmaster";
    const std::string sender = local + "@" + domain;
    CheckResult result = co_await check_host(resolver, ip, domain, sender, helo, options);
    co_return result;
}

}  // namespace herald::mailauth::spf
