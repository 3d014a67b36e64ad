#pragma once
// The alignment preflight: before a relayed message leaves, what will receivers make of it?
// SPF of the envelope sender for the address mail leaves from, DKIM of the keys it is signed
// with (a signature we make verifies, so it passes), and the DMARC verdict for its From:
// domain. Results are kept per (sender domain, IP) and per From: domain as long as the
// records they were made from may be cached (their smallest TTL), five minutes at most;
// a temporary DNS failure for dns::kResolutionFailureKept; messages that come while a lookup is
// out wait for its answer (base/shared_lookup.hpp). A stream of messages costs DNS lookups only
// once in a while; SPF macros on the local part are the rare record this approximates.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/shared_lookup.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dmarc/evaluation.hpp"
#include "mailauth/spf/check_host.hpp"

namespace herald::mailauth {

struct PreflightInput {
    std::string from_domain;                // RFC5322.From
    std::string sender;                     // envelope sender; "" for bounces
    std::string helo;                       // what we say in EHLO
    std::string ip;                         // where mail leaves from; "" when unknown
    std::vector<std::string> dkim_domains;  // the d= of the signatures it carries
};

struct PreflightResult {
    std::optional<spf::CheckResult> spf;  // absent when the sending IP is unknown
    dmarc::Evaluation dmarc;

    // "dmarc=pass spf=pass dkim=example.com policy=reject", then why when it fails.
    std::string summary() const;
    // The 550 text for reject mode: only a DMARC failure at a p=reject domain is refused.
    std::optional<std::string> refusal(const PreflightInput& input) const;
};

class Preflight {
  public:
    using Clock = std::chrono::steady_clock;

    boost::asio::awaitable<PreflightResult> check(const PreflightInput& input,
                                                  dns::Resolver& resolver);

  private:
    template <typename T>
    struct Cached {
        T value;
        Clock::time_point expires;
    };
    template <typename Key, typename T>
    using Cache = std::map<Key, Cached<T>>;

    using SpfKey = std::pair<std::string, std::string>;  // sender domain, IP

    boost::asio::awaitable<spf::CheckResult> spf_for(const PreflightInput& input,
                                                     dns::Resolver& resolver);
    boost::asio::awaitable<spf::CheckResult> look_up_spf(SpfKey key, const PreflightInput& input,
                                                         dns::Resolver& resolver);
    boost::asio::awaitable<dmarc::PolicyLookup> policy_for(const std::string& from_domain,
                                                           dns::Resolver& resolver);
    boost::asio::awaitable<dmarc::PolicyLookup> look_up_policy(std::string from_domain,
                                                               dns::Resolver& resolver);

    Cache<SpfKey, spf::CheckResult> spf_;
    Cache<std::string, dmarc::PolicyLookup> policies_;
    SharedLookup<SpfKey, spf::CheckResult> spf_lookups_;
    SharedLookup<std::string, dmarc::PolicyLookup> policy_lookups_;
};

}  // namespace herald::mailauth
