#include "compliance/bulk_report.hpp"

#include <algorithm>

#include "compliance/bulk_gate.hpp"
#include "compliance/route_tls.hpp"
#include "compliance/unsubscribe_headers.hpp"
#include "doctor/checks.hpp"
#include "mailauth/fcrdns.hpp"
#include "mailauth/preflight.hpp"

namespace herald::compliance {

namespace asio = boost::asio;

namespace {

// Whether a configured key of the domain has its public key published, as Herald signs only
// with such a key.
asio::awaitable<bool> publishes_a_key(dns::Resolver& resolver, const BulkReportInput& input) {
    if (!input.config) co_return false;
    doctor::DoctorInput doctor_input{.domain = input.domain, .keys = input.config->dkim_keys};
    const auto findings = co_await doctor::check_dkim(resolver, doctor_input);
    co_return std::any_of(findings.begin(), findings.end(), [](const doctor::Finding& f) {
        return f.level == doctor::Finding::Level::pass;
    });
}

void set_unsubscribe_config(const BulkReportInput& input, bool signs, BulkFacts& facts) {
    const auto* unsubscribe = input.config ? &input.config->unsubscribe : nullptr;
    const bool covered = unsubscribe && !unsubscribe->url.empty() &&
                         unsubscribe_covers(unsubscribe->senders, input.domain);
    if (!covered) {
        // The application may add its own headers: only a message can tell.
        facts.unsubscribe_detail = "[unsubscribe] does not cover " + input.domain +
                                   ": the messages must carry their own one-click headers";
        return;
    }
    facts.unsubscribe = signs ? Fact::holds : Fact::fails;
    facts.unsubscribe_detail =
        signs ? "Herald adds one-click headers and signs them with a key of " + input.domain
              : "Herald adds one-click headers, but has no published key of " + input.domain +
                    " to sign them with";
}

}  // namespace

asio::awaitable<std::vector<RuleVerdict>> bulk_report(dns::Resolver& resolver,
                                                      const BulkReportInput& input) {
    const config::Compliance defaults;
    const config::Compliance& settings = input.config ? input.config->compliance : defaults;
    BulkFacts facts{.domain = input.domain, .max_complaint_rate = settings.max_complaint_rate};
    const bool signs = co_await publishes_a_key(resolver, input);
    mailauth::PreflightInput preflight{.from_domain = input.domain,
                                       .sender = "postmaster@" + input.domain,
                                       .helo = input.helo,
                                       .ip = input.ip};
    if (signs) preflight.dkim_domains.push_back(input.domain);
    mailauth::Preflight checker;
    set_alignment(co_await checker.check(preflight, resolver), facts);
    set_unsubscribe_config(input, signs, facts);
    if (input.ip.empty()) {
        facts.reverse_dns_detail = "not checked: give --ip, the address mail leaves from";
    } else {
        set_reverse_dns(co_await mailauth::check_reverse_dns(resolver, input.ip), input.helo,
                        facts);
    }
    facts.tls = Fact::holds;
    facts.tls_detail = "every route offers STARTTLS";
    if (input.config) {
        if (auto problem = route_tls_problem(*input.config, preflight.sender)) {
            facts.tls = Fact::fails;
            facts.tls_detail = *problem;
        }
    }
    set_complaints(input.volume, SenderVolume::Clock::now(), facts);
    co_return judge(facts);
}

std::string report_text(const std::vector<RuleVerdict>& verdicts) {
    std::string out;
    for (const auto& v : verdicts) {
        out += std::string(level_name(v.fact)) + " " + std::string(v.rule) + ": " + v.detail;
        if (v.fact == Fact::fails) out += "; fix: " + std::string(v.fix);
        out += " (" + std::string(v.stated_by) + ")\n";
    }
    return out;
}

boost::json::array report_json(const std::vector<RuleVerdict>& verdicts) {
    boost::json::array out;
    for (const auto& v : verdicts) {
        out.push_back({{"level", level_name(v.fact)},
                       {"rule", v.rule},
                       {"detail", v.detail},
                       {"fix", v.fix},
                       {"stated_by", v.stated_by}});
    }
    return out;
}

}  // namespace herald::compliance
