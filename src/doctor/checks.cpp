#include "doctor/checks.hpp"

#include "base/ascii_case.hpp"
#include "config/value_formats.hpp"
#include "mailauth/dkim/key_record.hpp"
#include "mailauth/dkim/private_key.hpp"
#include "mailauth/dkim/public_key.hpp"
#include "mailauth/dmarc/evaluation.hpp"
#include "mailauth/dnsbl.hpp"
#include "mailauth/fcrdns.hpp"
#include "mailauth/spf/check_host.hpp"
#include "mailauth/spf/ip_address.hpp"
#include "mailauth/spf/record.hpp"

namespace herald::doctor {

namespace asio = boost::asio;
using Level = Finding::Level;

namespace {

// The "all" mechanism of a record, with its qualifier ("+" when none), or "".
std::string all_mechanism(const std::string& record) {
    const std::string lowered = " " + ascii_lowercase(record) + " ";
    for (const char* q : {"-all", "~all", "?all", "+all"}) {
        if (lowered.find(std::string(" ") + q + " ") != std::string::npos) return q;
    }
    return lowered.find(" all ") != std::string::npos ? "+all" : "";
}

// The SPF mechanism that covers one address: "ip4:192.0.2.1" or "ip6:2001:db8::1".
std::string ip_mechanism(const std::string& ip) {
    return (ip.find(':') != std::string::npos ? "ip6:" : "ip4:") + ip;
}

std::string suggested_spf(const DoctorInput& input) {
    const std::string source = input.ip.empty() ? "mx" : ip_mechanism(input.ip);
    return input.domain + ". TXT \"v=spf1 " + source + " -all\"";
}

Finding spf_record_finding(const std::string& record) {
    const std::string all = all_mechanism(record);
    if (all == "+all") {
        return {Level::fail, "spf",
                "\"" + record + "\" ends in +all: anyone may send as this domain. Use -all"};
    }
    if (all == "?all") {
        return {Level::warn, "spf",
                "\"" + record +
                    "\" ends in ?all (neutral): receivers learn nothing. Use ~all, "
                    "then -all once every sender is listed"};
    }
    if (all == "~all") {
        return {Level::pass, "spf",
                "\"" + record + "\" (~all: -all is stricter once every sender is listed)"};
    }
    if (all == "-all") return {Level::pass, "spf", "\"" + record + "\""};
    if (ascii_lowercase(record).find("redirect=") != std::string::npos) {
        return {Level::pass, "spf", "\"" + record + "\" (redirected)"};
    }
    return {Level::warn, "spf",
            "\"" + record +
                "\" has no all: mail from elsewhere is neutral. "
                "End it with -all"};
}

Finding dkim_key_finding(const std::string& name, const std::string& text) {
    auto record = mailauth::dkim::parse_key_record(text);
    if (!record)
        return {Level::fail, "dkim", name + ": the record is not valid: " + record.error()};
    if (record->revoked()) return {Level::fail, "dkim", name + ": the key is revoked (empty p=)"};
    auto key = mailauth::dkim::PublicKey::from_record(*record);
    if (!key) return {Level::fail, "dkim", name + ": " + key.error()};
    if (key->algorithm() == mailauth::dkim::Algorithm::ed25519_sha256) {
        return {Level::pass, "dkim", name + ": ed25519 key"};
    }
    const std::string size = "rsa key of " + std::to_string(key->bits()) + " bits";
    if (key->bits() < mailauth::dkim::kMinVerifyingRsaBits) {
        return {Level::fail, "dkim",
                name + ": " + size +
                    ", which receivers ignore (RFC 8301). "
                    "Make a 2048-bit key with herald dkim keygen"};
    }
    if (key->bits() < 2048) {
        return {Level::warn, "dkim",
                name + ": " + size +
                    ", weak and refused by some "
                    "receivers. Make a 2048-bit key with herald dkim keygen"};
    }
    return {Level::pass, "dkim", name + ": " + size};
}

// A configured key against what is published: Herald signs with it only when they match.
asio::awaitable<Finding> configured_key_finding(dns::Resolver& resolver,
                                                const config::DkimKey& configured,
                                                const std::string& domain) {
    const std::string name = configured.selector + "._domainkey." + domain;
    auto key = mailauth::dkim::PrivateKey::load_file(configured.private_key);
    if (!key) co_return Finding{Level::fail, "dkim-key", key.error()};
    auto answer = co_await resolver.txt(name);
    std::string reason = "nothing published at " + name;
    for (const auto& record : answer.records) {
        auto match = mailauth::dkim::published_key_matches(*key, record);
        if (match.matches) {
            co_return Finding{
                Level::pass, "dkim-key",
                configured.private_key.string() + " matches " + name + ": Herald signs with it"};
        }
        reason = match.reason;
    }
    const Level level = configured.require_dns_match ? Level::fail : Level::warn;
    const std::string consequence = configured.require_dns_match
                                        ? "Herald does not sign with it until it is published"
                                        : "Herald signs anyway (require_dns_match = false): "
                                          "receivers will fail the signature";
    co_return Finding{level, "dkim-key",
                      configured.private_key.string() + ": " + reason + ". " + consequence +
                          " (herald dkim keygen printed the record)"};
}

Finding reverse_dns_finding(const mailauth::ReverseDns& rdns, const DoctorInput& input) {
    using Status = mailauth::ReverseDns::Status;
    const std::string name = input.helo.empty() ? "your mail host's name" : input.helo;
    switch (rdns.status) {
        case Status::pass:
            return {Level::pass, "fcrdns", rdns.detail};
        case Status::none:
            return {Level::fail, "fcrdns",
                    rdns.detail +
                        ": Gmail and Outlook refuse mail from such an address. Ask whoever "
                        "owns the address (the hosting provider) to set its PTR to " +
                        name};
        case Status::mismatch:
            return {Level::fail, "fcrdns",
                    rdns.detail + ": publish an A/AAAA record for that name pointing to " +
                        input.ip + ", or have the PTR changed to " + name};
        case Status::temperror:
        case Status::invalid:
            break;
    }
    return {Level::warn, "fcrdns", rdns.detail};
}

Finding helo_finding(const mailauth::ReverseDns& rdns, const DoctorInput& input) {
    if (!config::is_fqdn(input.helo)) {
        return {Level::fail, "helo",
                "'" + input.helo +
                    "' is not a fully qualified domain name (RFC 5321 4.1.1.1): set "
                    "[server] hostname to the name of the sending IP's PTR"};
    }
    if (rdns.status != mailauth::ReverseDns::Status::pass) {
        return {Level::warn, "helo",
                input.helo + " cannot be compared with the rDNS name: FCrDNS does not pass"};
    }
    if (!equals_ignoring_case(input.helo, rdns.confirmed)) {
        return {Level::fail, "helo",
                input.helo + " is not the rDNS name " + rdns.confirmed + " of " + input.ip +
                    ": set [server] hostname = \"" + rdns.confirmed +
                    "\", or have the PTR changed"};
    }
    return {Level::pass, "helo", input.helo + " is the rDNS name of " + input.ip};
}

Finding listing_finding(const mailauth::dnsbl::Listing& listing, const std::string& subject) {
    using mailauth::dnsbl::Verdict;
    switch (listing.verdict) {
        case Verdict::not_listed:
            return {Level::pass, "rbl", subject + " is not listed on " + listing.zone};
        case Verdict::listed: {
            std::string codes;
            for (const auto& a : listing.answers) codes += (codes.empty() ? "" : ", ") + a;
            return {Level::fail, "rbl",
                    subject + " is listed on " + listing.zone + " (" + codes + ")" +
                        (listing.reason.empty() ? "" : ": " + listing.reason) +
                        ". Find the cause (an open relay, a compromised account), then ask "
                        "the list for removal"};
        }
        case Verdict::refused:
        case Verdict::error:
            break;
    }
    return {Level::warn, "rbl", listing.zone + ": " + listing.reason};
}

}  // namespace

asio::awaitable<std::vector<Finding>> check_spf(dns::Resolver& resolver, const DoctorInput& input) {
    std::vector<Finding> out;
    auto answer = co_await resolver.txt(input.domain);
    if (answer.temporary()) {
        out.push_back({Level::warn, "spf",
                       "could not look up " + input.domain + ": " +
                           std::string(dns::to_string(answer.status))});
        co_return out;
    }
    std::vector<std::string> records;
    for (const auto& text : answer.records) {
        if (mailauth::spf::is_spf_record(text)) records.push_back(text);
    }
    if (records.empty()) {
        out.push_back({Level::fail, "spf",
                       "no SPF record: receivers cannot tell your mail from "
                       "forgeries. Publish " +
                           suggested_spf(input)});
    } else if (records.size() > 1) {
        out.push_back({Level::fail, "spf",
                       std::to_string(records.size()) + " SPF records: receivers treat that as an "
                                                        "error (permerror). Merge them into one"});
    } else {
        out.push_back(spf_record_finding(records.front()));
    }
    if (input.ip.empty() || records.size() != 1) co_return out;
    const std::string sender = "postmaster@" + input.domain;
    const std::string helo = input.domain;
    const mailauth::spf::CheckOptions options;
    auto result =
        co_await mailauth::spf::check_mail_from(resolver, input.ip, sender, helo, options);
    if (result.outcome == mailauth::spf::Outcome::pass) {
        out.push_back({Level::pass, "spf-ip", input.ip + " may send for " + input.domain});
    } else {
        out.push_back({Level::fail, "spf-ip",
                       input.ip + " gets " + std::string(mailauth::spf::to_string(result.outcome)) +
                           ": it is not covered. Add " + ip_mechanism(input.ip) +
                           " to the SPF record"});
    }
    co_return out;
}

asio::awaitable<std::vector<Finding>> check_dkim(dns::Resolver& resolver,
                                                 const DoctorInput& input) {
    std::vector<Finding> out;
    if (!input.selector.empty()) {
        const std::string name = input.selector + "._domainkey." + input.domain;
        auto answer = co_await resolver.txt(name);
        if (!answer.ok() || answer.records.empty()) {
            out.push_back({Level::fail, "dkim",
                           "no key published at " + name + " (" +
                               std::string(dns::to_string(answer.status)) +
                               "). Publish the record herald dkim keygen "
                               "prints"});
        } else {
            out.push_back(dkim_key_finding(name, answer.records.front()));
        }
    }
    for (const auto& key : input.keys) {
        if (key.domain != input.domain && key.domain != "*") continue;
        out.push_back(co_await configured_key_finding(resolver, key, input.domain));
    }
    if (out.empty()) {
        out.push_back({Level::warn, "dkim",
                       "not checked: give --selector, or configure a "
                       "[[dkim.key]] for " +
                           input.domain});
    }
    co_return out;
}

namespace {

// The verdict on a DMARC record that receivers apply. Values they discard (RFC 7489 6.3: a
// bad pct, adkim, rua...) do not void the record, but the owner meant something else by them.
Finding dmarc_policy_finding(const mailauth::dmarc::PolicyLookup& lookup) {
    namespace dmarc = mailauth::dmarc;
    const auto& record = lookup.record;
    const std::string where = "record at _dmarc." + lookup.record_domain;
    const std::string policy(dmarc::to_string(record.policy));
    Finding finding{Level::pass, "dmarc", "p=" + policy + " (" + where + ")"};
    if (record.policy == dmarc::Policy::none) {
        finding = {Level::warn, "dmarc",
                   "p=none (" + where +
                       ") only monitors: move to p=quarantine once the reports show all your "
                       "mail aligned"};
    } else if (record.percent < 100) {
        finding = {Level::warn, "dmarc",
                   "p=" + policy + " but pct=" + std::to_string(record.percent) + " (" + where +
                       "): raise pct to 100 when you can"};
    }
    if (!record.ignored.empty()) {
        finding.level = Level::warn;
        finding.detail += ". Receivers apply the record but ignore ";
        for (std::size_t i = 0; i < record.ignored.size(); ++i) {
            finding.detail += (i ? "; " : "") + record.ignored[i];
        }
        finding.detail += " (the tag's default applies instead): correct or remove it";
    }
    return finding;
}

}  // namespace

asio::awaitable<std::vector<Finding>> check_dmarc(dns::Resolver& resolver,
                                                  const DoctorInput& input) {
    namespace dmarc = mailauth::dmarc;
    std::string domain = input.domain;
    const auto lookup = co_await dmarc::discover(resolver, std::move(domain));
    const std::string start = "_dmarc." + input.domain +
                              ". TXT \"v=DMARC1; p=none; rua=mailto:dmarc@" + input.domain + "\"";
    switch (lookup.status) {
        case dmarc::PolicyStatus::none:
            co_return std::vector<Finding>{{Level::fail, "dmarc",
                                            "no DMARC record. Publish " + start +
                                                ", read the reports, then move to p=quarantine"}};
        case dmarc::PolicyStatus::invalid:
        case dmarc::PolicyStatus::multiple:
            co_return std::vector<Finding>{{Level::fail, "dmarc",
                                            lookup.problem +
                                                ": receivers ignore it. Publish one "
                                                "valid record, e.g. " +
                                                start}};
        case dmarc::PolicyStatus::temperror:
            co_return std::vector<Finding>{
                {Level::warn, "dmarc", "could not look it up: " + lookup.problem}};
        case dmarc::PolicyStatus::found:
            break;
    }
    co_return std::vector<Finding>{dmarc_policy_finding(lookup)};
}

asio::awaitable<std::vector<Finding>> check_mx(dns::Resolver& resolver, const DoctorInput& input) {
    auto answer = co_await resolver.mx(input.domain);
    if (answer.ok()) {
        std::string hosts;
        for (const auto& mx : answer.records) {
            if (mx.host.empty()) {
                co_return std::vector<Finding>{
                    {Level::warn, "mx",
                     "null MX (RFC 7505): " + input.domain +
                         " receives no mail, so bounces and replies to it "
                         "fail"}};
            }
            hosts += (hosts.empty() ? "" : ", ") + std::to_string(mx.preference) + " " + mx.host;
        }
        co_return std::vector<Finding>{{Level::pass, "mx", hosts}};
    }
    if (answer.status == dns::Status::nxdomain) {
        co_return std::vector<Finding>{{Level::fail, "mx", input.domain + " does not exist"}};
    }
    if (answer.status == dns::Status::nodata) {
        co_return std::vector<Finding>{{Level::warn, "mx",
                                        "no MX: mail to " + input.domain +
                                            " goes to its A/AAAA "
                                            "record. Publish an MX for the host that receives it"}};
    }
    co_return std::vector<Finding>{
        {Level::warn, "mx", "could not look it up: " + std::string(dns::to_string(answer.status))}};
}

asio::awaitable<std::vector<Finding>> check_reverse_dns(dns::Resolver& resolver,
                                                        const DoctorInput& input) {
    std::vector<Finding> out;
    if (input.ip.empty()) {
        if (!input.helo.empty() && !config::is_fqdn(input.helo)) {
            out.push_back(helo_finding({}, input));
        }
        co_return out;
    }
    const auto rdns = co_await mailauth::check_reverse_dns(resolver, input.ip);
    out.push_back(reverse_dns_finding(rdns, input));
    if (!input.helo.empty()) out.push_back(helo_finding(rdns, input));
    co_return out;
}

asio::awaitable<std::vector<Finding>> check_block_lists(dns::Resolver& resolver,
                                                        const DoctorInput& input) {
    std::vector<Finding> out;
    for (const auto& zone : input.ip_lists) {
        if (input.ip.empty()) break;
        const auto listing = co_await mailauth::dnsbl::lookup_ip(resolver, input.ip, zone);
        out.push_back(listing_finding(listing, input.ip));
    }
    for (const auto& zone : input.domain_lists) {
        const auto listing = co_await mailauth::dnsbl::lookup_domain(resolver, input.domain, zone);
        out.push_back(listing_finding(listing, input.domain));
    }
    co_return out;
}

std::optional<std::string> input_problem(const DoctorInput& input) {
    if (!config::is_domain_name(input.domain)) {
        return "domain '" + input.domain + "' is not a domain name";
    }
    if (!input.ip.empty() && !mailauth::spf::IpAddress::parse(input.ip)) {
        return "ip '" + input.ip + "' is not an IP address";
    }
    if (!input.selector.empty() && !config::is_domain_name(input.selector)) {
        return "selector '" + input.selector + "' is not a DNS name";
    }
    for (const auto& [field, zones] :
         {std::pair{"rbl", &input.ip_lists}, std::pair{"dbl", &input.domain_lists}}) {
        for (const auto& zone : *zones) {
            if (!config::is_domain_name(zone)) {
                return std::string(field) + " '" + zone + "' is not a DNS zone";
            }
        }
    }
    return std::nullopt;
}

asio::awaitable<std::vector<Finding>> run_doctor(dns::Resolver& resolver,
                                                 const DoctorInput& input) {
    std::vector<Finding> all;
    if (input.ip.empty()) {
        all.push_back({Level::warn, "ip",
                       "not given: the SPF coverage, FCrDNS, HELO and block-list checks "
                       "need --ip, the address mail leaves from"});
    }
    for (auto check :
         {check_spf, check_dkim, check_dmarc, check_mx, check_reverse_dns, check_block_lists}) {
        auto found = co_await check(resolver, input);
        all.insert(all.end(), found.begin(), found.end());
    }
    if (input.tls) {
        auto found = co_await check_tls(resolver, *input.tls, input.tls_options);
        all.insert(all.end(), found.begin(), found.end());
    }
    co_return all;
}

}  // namespace herald::doctor
