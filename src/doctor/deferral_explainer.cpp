#include "doctor/deferral_explainer.hpp"

#include <algorithm>

#include "doctor/checks.hpp"

namespace herald::doctor {

namespace asio = boost::asio;
using events::ReplyCause;

namespace {

enum class Check { spf, dkim, dmarc, reverse_dns, block_lists };

// What the receiver's reply means, the checks that look into it, and the fix when they find
// nothing wrong (the findings' own advice comes first when they do).
struct CauseGuide {
    std::string_view said;
    std::vector<Check> checks;
    std::string_view fix;
};

CauseGuide guide_for(ReplyCause cause) {
    using enum Check;
    switch (cause) {
        case ReplyCause::unauthenticated:
            return {"neither SPF nor DKIM passed at the receiver",
                    {spf, dkim, dmarc},
                    "publish SPF for the envelope sender's domain with the sending address, and "
                    "sign with a DKIM key of the From: domain"};
        case ReplyCause::spf:
            return {"SPF did not pass at the receiver",
                    {spf},
                    "add the sending address to the SPF record of the envelope sender's domain"};
        case ReplyCause::dkim:
            return {"DKIM did not pass at the receiver",
                    {dkim},
                    "sign with a [[dkim.key]] whose public key is published at "
                    "<selector>._domainkey.<domain> (herald dkim keygen prints it)"};
        case ReplyCause::dmarc:
            return {"the From: domain's DMARC policy refused it",
                    {dmarc, spf, dkim},
                    "make SPF or DKIM pass for the From: domain itself"};
        case ReplyCause::alignment:
            return {"SPF or DKIM passed, but not for the From: domain",
                    {dmarc, spf, dkim},
                    "sign with d= the From: domain, or send with an envelope sender in it"};
        case ReplyCause::reverse_dns:
            return {"the sending address has no forward-confirmed reverse DNS",
                    {reverse_dns},
                    "set the PTR record of the sending address to the HELO name, and give that "
                    "name an A/AAAA record back to the address"};
        case ReplyCause::tls:
            return {"the receiver requires TLS",
                    {},
                    "deliver with STARTTLS: the transport's tls must not be \"none\""};
        case ReplyCause::block_list:
            return {"the sending address is on a block list",
                    {reverse_dns, block_lists},
                    "find what sent the listed mail, stop it, then ask the list named in the "
                    "reply for removal"};
        case ReplyCause::reputation:
            return {"the receiver limits mail for its reputation or volume",
                    {block_lists},
                    "send less and only to recipients who asked for it; keep complaints under "
                    "0.3% (herald doctor --bulk); traffic shaping slows down by itself"};
        case ReplyCause::unsubscribe:
            return {"bulk mail needs one-click unsubscribe",
                    {},
                    "configure [unsubscribe] for the sender domain, or add List-Unsubscribe and "
                    "List-Unsubscribe-Post (RFC 8058) covered by the DKIM signature"};
        case ReplyCause::policy:
        case ReplyCause::none:
            break;
    }
    return {"the receiver's policy refused it",
            {},
            "read the reply's reference (a URL or code) for the receiver's reason"};
}

bool found_a_problem(const std::vector<Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.level != Finding::Level::pass; });
}

}  // namespace

std::string explanation_text(ReplyCause cause, const std::vector<Finding>& findings) {
    const CauseGuide guide = guide_for(cause);
    std::string text = std::string(events::cause_name(cause)) + ": " + std::string(guide.said);
    if (!findings.empty()) {
        text += "; now:";
        std::string separator = " ";
        // What is wrong first: a line has room for the findings that matter.
        for (bool problems : {true, false}) {
            for (const auto& f : findings) {
                if ((f.level != Finding::Level::pass) != problems) continue;
                text += separator + to_line(f);
                separator = "; ";
            }
        }
        if (!found_a_problem(findings)) {
            text += "; the checks pass now (fixed since, or the receiver saw another path)";
        }
    }
    return text + "; fix: " + std::string(guide.fix);
}

asio::awaitable<std::vector<Finding>> DeferralExplainer::run_checks(const Refusal& refusal) {
    DoctorInput input{.domain = refusal.from_domain,
                      .ip = refusal.ip,
                      .helo = settings_.helo,
                      .keys = settings_.keys,
                      .ip_lists = settings_.ip_lists};
    std::vector<Finding> findings;
    for (Check check : guide_for(refusal.cause).checks) {
        std::vector<Finding> found;
        switch (check) {
            case Check::spf: {
                // SPF is about the envelope sender's domain; a bounce has none.
                if (refusal.sender_domain.empty()) break;
                DoctorInput sender = input;
                sender.domain = refusal.sender_domain;
                found = co_await check_spf(resolver_, sender);
                break;
            }
            case Check::dkim:
                found = co_await check_dkim(resolver_, input);
                break;
            case Check::dmarc:
                found = co_await check_dmarc(resolver_, input);
                break;
            case Check::reverse_dns:
                found = co_await check_reverse_dns(resolver_, input);
                break;
            case Check::block_lists:
                found = co_await check_block_lists(resolver_, input);
                break;
        }
        findings.insert(findings.end(), found.begin(), found.end());
    }
    co_return findings;
}

asio::awaitable<Explanation> DeferralExplainer::explain(const Refusal& refusal) {
    const auto now = Clock::now();
    Key key{refusal.cause, refusal.from_domain, refusal.sender_domain, refusal.ip};
    if (auto it = kept_.find(key); it != kept_.end() && it->second.expires > now) {
        co_return it->second.explanation;
    }
    Explanation explanation{.cause = refusal.cause};
    explanation.findings = co_await run_checks(refusal);
    explanation.text = explanation_text(refusal.cause, explanation.findings);
    // Bounded: expired entries go when the table is full, and all of them if none had.
    if (kept_.size() >= kMostKept) {
        std::erase_if(kept_, [now](const auto& e) { return e.second.expires <= now; });
        if (kept_.size() >= kMostKept) kept_.clear();
    }
    kept_.insert_or_assign(std::move(key), Kept{explanation, Clock::now() + kKept});
    co_return explanation;
}

}  // namespace herald::doctor
