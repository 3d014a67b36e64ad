#include "tlsrpt/report_retry.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "base/timestamp.hpp"

namespace herald::tlsrpt {

namespace json = boost::json;

namespace {

constexpr std::chrono::minutes kFirstWait{5};
constexpr std::chrono::hours kRetryFor{24};  // RFC 8460 5.5
constexpr unsigned kMaxDoublings = 16;       // far beyond the 24 hours: no overflow

}  // namespace

std::optional<PendingPost::Clock::time_point> next_post_attempt(
    PendingPost::Clock::time_point first, unsigned attempts, PendingPost::Clock::time_point now) {
    const unsigned doublings = std::min(attempts == 0 ? 0 : attempts - 1, kMaxDoublings);
    const auto next = now + kFirstWait * (1u << doublings);
    if (next > first + kRetryFor) return std::nullopt;
    return next;
}

std::string PendingPost::to_json() const {
    return json::serialize(json::object{{"url", url},
                                        {"domain", report.domain},
                                        {"id", report.id},
                                        {"report", report.json},
                                        {"first", unix_seconds(first)},
                                        {"attempts", attempts},
                                        {"next", unix_seconds(next)}});
}

Result<PendingPost> PendingPost::from_json(std::string_view text) {
    boost::system::error_code ec;
    const json::value value = json::parse(text, ec);
    const json::object* object = ec ? nullptr : value.if_object();
    const auto text_of = [object](std::string_view key) -> const json::string* {
        const json::value* found = object ? object->if_contains(key) : nullptr;
        return found ? found->if_string() : nullptr;
    };
    const auto number_of = [object](std::string_view key) -> const std::int64_t* {
        const json::value* found = object ? object->if_contains(key) : nullptr;
        return found ? found->if_int64() : nullptr;
    };
    const auto *url = text_of("url"), *domain = text_of("domain"), *id = text_of("id"),
               *report = text_of("report");
    const auto *first = number_of("first"), *attempts = number_of("attempts"),
               *next = number_of("next");
    if (!url || !domain || !id || !report || !first || !attempts || !next || *attempts < 1 ||
        *attempts > 1000) {
        return Error{"not a TLS report waiting to be posted again"};
    }
    return PendingPost{.url = std::string(*url),
                       .report = {.domain = std::string(*domain),
                                  .id = std::string(*id),
                                  .json = std::string(*report)},
                       .first = from_unix_seconds(*first),
                       .attempts = static_cast<unsigned>(*attempts),
                       .next = from_unix_seconds(*next)};
}

}  // namespace herald::tlsrpt
