#include "tlspolicy/mta_sts_source.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "base/state_file.hpp"
#include "base/trimmed.hpp"
#include "dns/host_addresses.hpp"
#include "tlspolicy/mta_sts_record.hpp"

namespace herald::tlspolicy {

namespace asio = boost::asio;

namespace {

// RFC 8461 3.3: a fetch should give up within a minute; these are well within it.
constexpr delivery::HttpTimeouts kFetchTimeouts{.connect = std::chrono::seconds(10),
                                                .request = std::chrono::seconds(30)};

// A fetch that failed is not tried again for the same id before this (seconds): each
// delivery to the domain would otherwise wait for a policy server that is down.
constexpr std::int64_t kRetryFetchAfter = 300;

// A domain as a file name: what DNS allows in a host name, nothing that walks the tree.
bool is_safe_name(std::string_view domain) {
    return !domain.empty() && domain.size() <= 253 && domain.front() != '.' &&
           std::all_of(domain.begin(), domain.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                      c == '_';
           });
}

std::optional<std::string_view> line_value(std::string_view text, std::string_view key) {
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const auto line = text.substr(0, newline);
        text = newline == std::string_view::npos ? "" : text.substr(newline + 1);
        if (line.starts_with(key) && line.substr(key.size()).starts_with(':')) {
            return trimmed(line.substr(key.size() + 1));
        }
    }
    return std::nullopt;
}

}  // namespace

std::string CachedPolicy::text() const {
    // The policy's own lines, and two of Herald's that the policy parser passes over.
    return policy.text() + "id: " + id + "\nfetched: " + std::to_string(fetched) + "\n";
}

Result<CachedPolicy> read_cached_policy(std::string_view text) {
    auto policy = parse_mta_sts_policy(text);
    if (!policy) return Error{policy.error()};
    CachedPolicy out{.policy = std::move(*policy)};
    const auto id = line_value(text, "id");
    const auto fetched = line_value(text, "fetched");
    if (!id || !fetched) return Error{"no id or fetched line"};
    out.id = std::string(*id);
    auto [end, ec] =
        std::from_chars(fetched->data(), fetched->data() + fetched->size(), out.fetched);
    if (ec != std::errc{} || end != fetched->data() + fetched->size()) {
        return Error{"fetched is not a number"};
    }
    return out;
}

MtaStsSource::MtaStsSource(dns::Resolver& resolver, std::filesystem::path cache_dir,
                           const std::filesystem::path& ca_file, Log log, Clock clock)
    : resolver_(resolver),
      cache_dir_(std::move(cache_dir)),
      https_(ca_file),
      client_(https_.tls, kFetchTimeouts, ""),
      log_(std::move(log)),
      clock_(std::move(clock)) {}

std::int64_t MtaStsSource::now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

delivery::TlsPolicy MtaStsSource::applied(const std::optional<CachedPolicy>& known,
                                          std::optional<delivery::TlsFailure> failure) {
    if (known) return known->policy.as_tls_policy();
    delivery::TlsPolicy none;
    none.fetch_failure = failure;
    return none;
}

// RFC 8461 5.1: the TXT record says whether to fetch; without one (or when DNS fails) a
// cached policy still within its max_age applies.
asio::awaitable<delivery::TlsPolicy> MtaStsSource::policy_for(const std::string& domain) {
    const std::int64_t at = now();
    std::optional<CachedPolicy> known = cached(domain);
    if (known && !known->current(at)) known.reset();
    auto txt = co_await resolver_.txt("_mta-sts." + domain);
    if (!txt.ok()) co_return applied(known);
    auto found = find_mta_sts_record(txt.records);
    if (!found.record) {
        if (!found.problem.empty() && log_)
            log_("MTA-STS: _mta-sts." + domain + ": " + found.problem);
        co_return applied(known);
    }
    const MtaStsRecord* record = &*found.record;
    if (known && known->id == record->id) co_return applied(known);
    if (auto failed = failed_.find(domain);
        failed != failed_.end() && failed->second.id == record->id && at < failed->second.until) {
        co_return applied(known, failed->second.type);
    }
    auto fetched = co_await fetch(domain);
    if (auto* failure = std::get_if<FetchFailure>(&fetched)) {
        if (log_) {
            log_("MTA-STS: no policy for " + domain + " (" + failure->why + ")" +
                 (known ? "; the cached one applies" : "") + "; next try in " +
                 std::to_string(kRetryFetchAfter) + " s");
        }
        failed_.insert_or_assign(domain,
                                 FailedFetch{record->id, at + kRetryFetchAfter, failure->type});
        co_return applied(known, failure->type);
    }
    failed_.erase(domain);
    CachedPolicy fresh{
        .policy = std::move(std::get<MtaStsPolicy>(fetched)), .id = record->id, .fetched = at};
    if (log_) {
        log_("MTA-STS: " + domain + " policy " + fresh.id + ": mode " +
             std::string(to_string(fresh.policy.mode)) + ", max_age " +
             std::to_string(fresh.policy.max_age));
    }
    keep(domain, fresh);
    co_return applied(fresh);
}

// RFC 8460 4.3.2.2: a policy host whose certificate does not verify is sts-webpki-invalid
// (the HTTP client says "TLS with ..."), a policy that does not parse sts-policy-invalid,
// anything else that keeps the policy away sts-policy-fetch-error.
asio::awaitable<std::variant<MtaStsPolicy, MtaStsSource::FetchFailure>> MtaStsSource::fetch(
    const std::string& domain) {
    using delivery::TlsFailure;
    if (!https_.error.empty()) co_return FetchFailure{.why = https_.error};
    const std::string host = "mta-sts." + domain;
    auto url = delivery::HttpUrl::parse("https://" + host + "/.well-known/mta-sts.txt");
    if (!url) co_return FetchFailure{.why = url.error()};
    auto ips = co_await dns::host_addresses(resolver_, host);
    if (!ips) co_return FetchFailure{.why = ips.error()};
    delivery::HttpRequest request;
    request.head = "GET " + url->target + " HTTP/1.1\r\nHost: " + url->host_header() +
                   "\r\nUser-Agent: Herald\r\nConnection: close\r\n\r\n";
    auto response = co_await client_.send_to(*ips, *url, request);
    if (!response) {
        const bool tls = response.error().starts_with("TLS with ");
        co_return FetchFailure{
            tls ? TlsFailure::sts_webpki_invalid : TlsFailure::sts_policy_fetch_error,
            response.error()};
    }
    // RFC 8461 3.3: no redirects are followed, and a policy is at most 64 KiB.
    if (response->status != 200) co_return FetchFailure{.why = response->describe()};
    if (!response->complete) {
        co_return FetchFailure{TlsFailure::sts_policy_invalid,
                               "the policy is cut short or larger than 64 KiB"};
    }
    auto policy = parse_mta_sts_policy(response->body);
    if (!policy) {
        co_return FetchFailure{TlsFailure::sts_policy_invalid,
                               "a malformed policy: " + policy.error()};
    }
    co_return std::move(*policy);
}

std::optional<CachedPolicy> MtaStsSource::cached(const std::string& domain) {
    if (auto it = memory_.find(domain); it != memory_.end()) return it->second;
    if (!is_safe_name(domain)) return std::nullopt;
    auto text = read_state_file(cache_dir_ / domain);
    if (!text) return std::nullopt;
    auto read = read_cached_policy(*text);
    if (!read) return std::nullopt;
    memory_.emplace(domain, *read);
    return *read;
}

void MtaStsSource::keep(const std::string& domain, CachedPolicy policy) {
    if (is_safe_name(domain)) {
        std::error_code ec;
        std::filesystem::create_directories(cache_dir_, ec);
        if (auto written = replace_file(cache_dir_ / domain, policy.text()); !written && log_) {
            log_("MTA-STS: cannot keep the policy of " + domain + ": " + written.error());
        }
    }
    memory_.insert_or_assign(domain, std::move(policy));
}

}  // namespace herald::tlspolicy
