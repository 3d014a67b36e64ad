#include "cli/dmarc_command.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "cli/command_resolver.hpp"
#include "mailauth/dmarc/evaluation.hpp"
#include "mailauth/dmarc/organizational_domain.hpp"

namespace herald::cli {
namespace {

namespace dmarc = mailauth::dmarc;
namespace spf = mailauth::spf;

struct DmarcCheckOptions {
    std::string from_domain;
    std::string spf_domain;
    std::string spf_result;
    std::vector<std::string> dkim_domains;
    std::vector<std::string> dkim_results;
};

// The DKIM results of RFC 8601 2.7.1.
bool is_dkim_result(std::string_view result) {
    static constexpr std::array<std::string_view, 7> results = {
        "pass", "fail", "neutral", "none", "policy", "temperror", "permerror"};
    return std::ranges::find(results, result) != results.end();
}

Result<dmarc::Identifiers> identifiers_of(const DmarcCheckOptions& o) {
    dmarc::Identifiers identifiers;
    identifiers.from_domain = o.from_domain;
    if (o.spf_domain.empty() != o.spf_result.empty()) {
        return Error{"--spf-domain and --spf-result go together"};
    }
    if (!o.spf_result.empty()) {
        const auto outcome = spf::outcome_from_string(o.spf_result);
        if (!outcome) {
            return Error{"--spf-result '" + o.spf_result +
                         "' is not one of pass fail softfail neutral none permerror temperror"};
        }
        identifiers.spf = *outcome;
        identifiers.spf_domain = o.spf_domain;
    }
    if (o.dkim_domains.size() != o.dkim_results.size()) {
        return Error{"give one --dkim-result for each --dkim-domain"};
    }
    for (std::size_t i = 0; i < o.dkim_domains.size(); ++i) {
        if (!is_dkim_result(o.dkim_results[i])) {
            return Error{"--dkim-result '" + o.dkim_results[i] +
                         "' is not one of pass fail neutral none policy temperror permerror"};
        }
        identifiers.dkim.push_back({o.dkim_domains[i], o.dkim_results[i] == "pass"});
    }
    return identifiers;
}

std::string policy_line(const dmarc::Evaluation& evaluation, const std::string& from_domain) {
    const auto& lookup = evaluation.lookup;
    switch (lookup.status) {
        case dmarc::PolicyStatus::found:
            return fmt::format(
                "policy: {} ({} of _dmarc.{}, pct={})", dmarc::to_string(evaluation.policy),
                evaluation.subdomain_policy ? "sp" : "p", lookup.record_domain, evaluation.percent);
        case dmarc::PolicyStatus::none:
            if (lookup.organizational_domain == from_domain) {
                return fmt::format("policy: none (no DMARC record for {})", from_domain);
            }
            return fmt::format("policy: none (no DMARC record for {} nor {})", from_domain,
                               lookup.organizational_domain);
        default:
            return fmt::format("policy: none ({}: {})", dmarc::to_string(lookup.status),
                               lookup.problem);
    }
}

std::string alignment_word(bool aligned, dmarc::Alignment mode) {
    return fmt::format("{} ({})", aligned ? "aligned" : "not aligned", dmarc::to_string(mode));
}

int run_check(const GlobalOptions& global, const DmarcCheckOptions& o) {
    if (o.from_domain.empty()) return usage_error("dmarc", "--from-domain is empty");
    auto identifiers = identifiers_of(o);
    if (!identifiers) return usage_error("dmarc", identifiers.error());
    boost::asio::io_context io;
    auto resolver = command_resolver(io, global);
    if (!resolver) return usage_error("dmarc", resolver.error());
    const auto evaluation = run_to_completion(io, dmarc::check(**resolver, *identifiers));
    const auto& record = evaluation.lookup.record;
    fmt::print("{}\n", evaluation.pass ? "pass" : "fail");
    fmt::print("{}\n", policy_line(evaluation, dmarc::canonical_domain(o.from_domain)));
    if (identifiers->spf_domain.empty()) {
        fmt::print("spf: none\n");
    } else {
        fmt::print("spf: {} {} {}\n", spf::to_string(identifiers->spf), identifiers->spf_domain,
                   alignment_word(
                       dmarc::aligned(identifiers->spf_domain, o.from_domain, record.spf_alignment),
                       record.spf_alignment));
    }
    if (identifiers->dkim.empty()) fmt::print("dkim: none\n");
    for (std::size_t i = 0; i < identifiers->dkim.size(); ++i) {
        const auto& signature = identifiers->dkim[i];
        fmt::print(
            "dkim: {} {} {}\n", o.dkim_results[i], signature.domain,
            alignment_word(dmarc::aligned(signature.domain, o.from_domain, record.dkim_alignment),
                           record.dkim_alignment));
    }
    fmt::print("why: {}\n", evaluation.why);
    return evaluation.pass ? kExitOk : kExitFailure;
}

}  // namespace

void add_dmarc_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* dmarc_cmd = app.add_subcommand("dmarc", "DMARC (RFC 7489) evaluation");
    dmarc_cmd->require_subcommand(1);
    auto* check = dmarc_cmd->add_subcommand(
        "check", "Evaluate DMARC for a From domain and its SPF/DKIM results");
    auto o = std::make_shared<DmarcCheckOptions>();
    check->add_option("--from-domain", o->from_domain, "the RFC5322.From domain")->required();
    check->add_option("--spf-domain", o->spf_domain, "the domain SPF checked (MAIL FROM or HELO)");
    check->add_option("--spf-result", o->spf_result,
                      "pass fail softfail neutral none permerror temperror");
    check->add_option("--dkim-domain", o->dkim_domains, "d= of a DKIM signature (repeatable)");
    check->add_option("--dkim-result", o->dkim_results, "that signature's result (repeatable)");
    check->callback([&global, &exit_code, o] { exit_code = run_check(global, *o); });
}

}  // namespace herald::cli
