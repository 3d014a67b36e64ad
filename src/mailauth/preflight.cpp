#include "mailauth/preflight.hpp"

#include <algorithm>

#include "base/address_parts.hpp"
#include "dns/ttl_recording_resolver.hpp"

namespace herald::mailauth {

namespace asio = boost::asio;
using Clock = Preflight::Clock;

namespace {

constexpr std::chrono::seconds kMaxKeep = std::chrono::minutes(5);
// Senders and From: domains seen within kMaxKeep; beyond that many, the oldest news goes.
constexpr std::size_t kMaxEntries = 10000;

// Until when a result made from `resolver`'s answers may be used; one that a DNS failure
// made (`failed`), for a little while only.
Clock::time_point expiry(const dns::TtlRecordingResolver& resolver, bool failed,
                         Clock::time_point now) {
    if (failed) return now + dns::kResolutionFailureKept;
    const auto ttl = std::chrono::seconds(resolver.min_ttl().value_or(0));
    return now + std::min(ttl, kMaxKeep);
}

template <typename Map, typename Key, typename Value>
void remember(Map& cache, const Key& key, Value value, Clock::time_point now,
              Clock::time_point expires) {
    if (expires <= now) return;
    if (cache.size() >= kMaxEntries) {
        std::erase_if(cache, [now](const auto& entry) { return entry.second.expires <= now; });
        if (cache.size() >= kMaxEntries) cache.clear();
    }
    cache[key] = {std::move(value), expires};
}

}  // namespace

std::string PreflightResult::summary() const {
    std::string out = std::string("dmarc=") + (dmarc.pass ? "pass" : "fail");
    out += " spf=";
    out += spf ? std::string(spf::to_string(spf->outcome)) : "unknown";
    out += " dkim=";
    out += dmarc.aligned_dkim_domain.empty() ? "none" : dmarc.aligned_dkim_domain;
    out += " policy=" + std::string(dmarc::to_string(dmarc.policy));
    if (!dmarc.pass) out += ": " + dmarc.why;
    return out;
}

std::optional<std::string> PreflightResult::refusal(const PreflightInput& input) const {
    if (dmarc.pass || dmarc.policy != dmarc::Policy::reject) return std::nullopt;
    std::string fix = "sign it with a DKIM key for " + input.from_domain;
    if (!input.ip.empty()) {
        fix += " or let the SPF record of " + std::string(domain_of(input.sender)) + " cover " +
               input.ip;
    }
    return "This message would fail DMARC at " + input.from_domain + " (p=reject): " + fix;
}

asio::awaitable<PreflightResult> Preflight::check(const PreflightInput& input,
                                                  dns::Resolver& resolver) {
    PreflightResult result;
    dmarc::Identifiers ids;
    ids.from_domain = input.from_domain;
    if (!input.ip.empty()) {
        spf::CheckResult spf = co_await spf_for(input, resolver);
        ids.spf = spf.outcome;
        result.spf = std::move(spf);
    }
    ids.spf_domain = input.sender.empty() ? input.helo : std::string(domain_of(input.sender));
    for (const auto& d : input.dkim_domains) ids.dkim.push_back({d, true});
    dmarc::PolicyLookup lookup = co_await policy_for(input.from_domain, resolver);
    result.dmarc = dmarc::evaluate(lookup, ids);
    co_return result;
}

asio::awaitable<spf::CheckResult> Preflight::spf_for(const PreflightInput& input,
                                                     dns::Resolver& resolver) {
    const auto key = std::make_pair(
        input.sender.empty() ? input.helo : std::string(domain_of(input.sender)), input.ip);
    if (auto it = spf_.find(key); it != spf_.end() && Clock::now() < it->second.expires) {
        co_return it->second.value;
    }
    auto lookup = [this, &input, &resolver, key] { return look_up_spf(key, input, resolver); };
    co_return co_await spf_lookups_.get(key, lookup);
}

asio::awaitable<spf::CheckResult> Preflight::look_up_spf(SpfKey key, const PreflightInput& input,
                                                         dns::Resolver& resolver) {
    const auto now = Clock::now();
    // Named, not defaulted: GCC 12 mislocates a co_await expression's temporaries.
    const spf::CheckOptions options;
    dns::TtlRecordingResolver recording(resolver);
    spf::CheckResult found =
        co_await spf::check_mail_from(recording, input.ip, input.sender, input.helo, options);
    const bool failed = found.outcome == spf::Outcome::temperror;
    remember(spf_, key, found, now, expiry(recording, failed, now));
    co_return found;
}

asio::awaitable<dmarc::PolicyLookup> Preflight::policy_for(const std::string& from_domain,
                                                           dns::Resolver& resolver) {
    if (auto it = policies_.find(from_domain);
        it != policies_.end() && Clock::now() < it->second.expires) {
        co_return it->second.value;
    }
    auto lookup = [this, from_domain, &resolver] { return look_up_policy(from_domain, resolver); };
    co_return co_await policy_lookups_.get(from_domain, lookup);
}

asio::awaitable<dmarc::PolicyLookup> Preflight::look_up_policy(std::string from_domain,
                                                               dns::Resolver& resolver) {
    const auto now = Clock::now();
    std::string domain = from_domain;
    dns::TtlRecordingResolver recording(resolver);
    dmarc::PolicyLookup found = co_await dmarc::discover(recording, std::move(domain));
    const bool failed = found.status == dmarc::PolicyStatus::temperror;
    remember(policies_, from_domain, found, now, expiry(recording, failed, now));
    co_return found;
}

}  // namespace herald::mailauth
