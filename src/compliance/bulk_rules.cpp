#include "compliance/bulk_rules.hpp"

#include <algorithm>
#include <cstdio>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"

namespace herald::compliance {

namespace {

// Sources: docs/research/bulk_senders.md.
constexpr std::string_view kAllThree = "Google, Yahoo, Microsoft";
constexpr std::string_view kGoogleYahoo = "Google, Yahoo";

Fact both(Fact a, Fact b) {
    if (a == Fact::fails || b == Fact::fails) return Fact::fails;
    if (a == Fact::unknown || b == Fact::unknown) return Fact::unknown;
    return Fact::holds;
}

std::string percent(double rate) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", rate * 100);
    return text;
}

RuleVerdict complaint_verdict(const BulkFacts& f) {
    RuleVerdict v{.rule = "complaint-rate",
                  .fix =
                      "send only to recipients who asked, honour unsubscribes at once, and "
                      "stop mailing who complains (the suppression list does)",
                  .stated_by = "Google, Yahoo (0.3%)"};
    if (!f.complaint_rate) {
        v.detail = "nothing delivered in the last 7 days";
        v.fact = Fact::holds;
        return v;
    }
    v.fact = *f.complaint_rate < f.max_complaint_rate ? Fact::holds : Fact::fails;
    v.detail = percent(*f.complaint_rate) + " over 7 days (" + std::to_string(f.complaints) +
               " complaints, " + std::to_string(f.delivered) + " delivered; limit " +
               percent(f.max_complaint_rate) + ")";
    return v;
}

}  // namespace

std::string_view level_name(Fact fact) {
    switch (fact) {
        case Fact::holds:
            return "PASS";
        case Fact::fails:
            return "FAIL";
        case Fact::unknown:
            break;
    }
    return "WARN";
}

std::vector<RuleVerdict> judge(const BulkFacts& f) {
    std::vector<RuleVerdict> verdicts;
    verdicts.push_back({.rule = "authentication",
                        .fact = f.aligned,
                        .detail = f.alignment_detail,
                        .fix = "sign with DKIM for the From: domain ([[dkim.key]]), or send "
                               "with an envelope sender in it whose SPF covers the address",
                        .stated_by = kAllThree});
    verdicts.push_back({.rule = "dmarc-record",
                        .fact = f.dmarc_record,
                        .detail = f.dmarc_detail,
                        .fix = "publish a DMARC record: _dmarc.<domain> TXT "
                               "\"v=DMARC1; p=none; rua=mailto:...\"",
                        .stated_by = kAllThree});
    verdicts.push_back({.rule = "one-click-unsubscribe",
                        .fact = f.unsubscribe,
                        .detail = f.unsubscribe_detail,
                        .fix = "set [unsubscribe] url and senders for the domain, or add "
                               "List-Unsubscribe with an https URL and List-Unsubscribe-Post: "
                               "List-Unsubscribe=One-Click, signed by DKIM for the From: domain",
                        .stated_by = "Google, Yahoo (RFC 8058: signed)"});
    std::string rdns = f.reverse_dns_detail;
    if (f.helo_matches == Fact::fails) rdns += "; HELO " + f.helo + " is not that name";
    verdicts.push_back({.rule = "reverse-dns",
                        .fact = both(f.reverse_dns, f.helo_matches),
                        .detail = rdns,
                        .fix = "give the sending address a PTR record whose name resolves back "
                               "to it, and say that name in HELO ([server] hostname)",
                        .stated_by = kGoogleYahoo});
    verdicts.push_back({.rule = "tls",
                        .fact = f.tls,
                        .detail = f.tls_detail,
                        .fix = "deliver with STARTTLS: the transport's tls must not be \"none\"",
                        .stated_by = "Google"});
    verdicts.push_back(complaint_verdict(f));
    return verdicts;
}

bool is_bulk_by_headers(const message::HeaderBlock& headers) {
    if (headers.has("List-Id")) return true;
    const auto* precedence = headers.find("Precedence");
    if (precedence == nullptr) return false;
    const std::string value = ascii_lowercase(trimmed(precedence->value));
    return value == "bulk" || value == "list";
}

std::string summary_line(const std::vector<RuleVerdict>& verdicts) {
    std::string line;
    for (const auto& v : verdicts) {
        if (!line.empty()) line += "; ";
        line += std::string(level_name(v.fact)) + " " + std::string(v.rule);
        if (v.fact != Fact::holds && !v.detail.empty()) line += " (" + v.detail + ")";
    }
    return line;
}

std::vector<std::string> failed_rules(const std::vector<RuleVerdict>& verdicts) {
    std::vector<std::string> names;
    for (const auto& v : verdicts) {
        if (v.fact == Fact::fails) names.emplace_back(v.rule);
    }
    return names;
}

std::optional<std::string> refusal_text(const std::vector<RuleVerdict>& verdicts) {
    const auto failing = std::find_if(verdicts.begin(), verdicts.end(),
                                      [](const RuleVerdict& v) { return v.fact == Fact::fails; });
    if (failing == verdicts.end()) return std::nullopt;
    return "Bulk mail refused: " + std::string(failing->rule) + ": " + failing->detail +
           "; fix: " + std::string(failing->fix) + " (required by " +
           std::string(failing->stated_by) + ")";
}

}  // namespace herald::compliance
