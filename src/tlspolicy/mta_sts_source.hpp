#pragma once
// The MTA-STS policies of the domains Herald delivers to (RFC 8461 5.1): each delivery looks
// up `_mta-sts.<domain>` (the resolver caches it), and the policy is fetched over HTTPS, with
// the certificate verified, only when its id changed or the cached one expired. Policies are
// kept on disk, one file per domain, so that a restart keeps them: a policy protects a
// domain against an attacker who strips the TXT record only if it is remembered. A policy
// that cannot be had is no policy, unless one cached is still within its max_age.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <variant>

#include "base/result.hpp"
#include "delivery/tls_policy.hpp"
#include "delivery/transports/http_client.hpp"
#include "dns/resolver.hpp"
#include "tlspolicy/mta_sts_policy.hpp"

namespace herald::tlspolicy {

// A policy as it was fetched: what the cache file holds.
struct CachedPolicy {
    MtaStsPolicy policy;
    std::string id;            // of the TXT record it was fetched for
    std::int64_t fetched = 0;  // unix seconds

    bool current(std::int64_t now) const { return now < fetched + policy.max_age; }
    std::string text() const;
};
// The file's text read back; an Error for a file no Herald wrote.
Result<CachedPolicy> read_cached_policy(std::string_view text);

class MtaStsSource final : public delivery::TlsPolicySource {
  public:
    using Log = std::function<void(const std::string&)>;
    using Clock = std::function<std::int64_t()>;  // unix seconds

    // `ca_file`: trusted beside the system's store for the HTTPS fetch (tests); `cache_dir`
    // is created when first written.
    MtaStsSource(dns::Resolver& resolver, std::filesystem::path cache_dir,
                 const std::filesystem::path& ca_file, Log log, Clock clock = {});

    boost::asio::awaitable<delivery::TlsPolicy> policy_for(const std::string& domain) override;

  private:
    // A fetch that failed: why, and what a TLS report calls it (RFC 8460 4.3.2.2).
    struct FetchFailure {
        delivery::TlsFailure type = delivery::TlsFailure::sts_policy_fetch_error;
        std::string why;
    };
    boost::asio::awaitable<std::variant<MtaStsPolicy, FetchFailure>> fetch(
        const std::string& domain);
    // The cached policy that applies, or none; `failure`: why there is none to apply.
    static delivery::TlsPolicy applied(const std::optional<CachedPolicy>& known,
                                       std::optional<delivery::TlsFailure> failure = {});
    std::optional<CachedPolicy> cached(const std::string& domain);
    void keep(const std::string& domain, CachedPolicy policy);
    std::int64_t now() const;

    dns::Resolver& resolver_;
    std::filesystem::path cache_dir_;
    delivery::HttpsContext https_;
    delivery::HttpClient client_;
    Log log_;
    Clock clock_;
    std::map<std::string, CachedPolicy, std::less<>> memory_;
    struct FailedFetch {
        std::string id;          // the record's id it failed for
        std::int64_t until = 0;  // unix seconds: no new try before
        delivery::TlsFailure type = delivery::TlsFailure::sts_policy_fetch_error;
    };
    std::map<std::string, FailedFetch, std::less<>> failed_;
};

}  // namespace herald::tlspolicy
