#pragma once
// One-click unsubscribe (RFC 8058, issue 19): the link Herald puts in List-Unsubscribe, and
// what a click on it proves. The link is <[unsubscribe] url>/<token>, the token
//   base64url("<expiry>\n<sender domain>\n<list id>\n<recipient>") "." base64url(mac)
// with mac the first 128 bits of HMAC-SHA256 over that text, keyed by the spool's
// unsubscribe.key: it names whom to take off which sender's list, and cannot be forged or
// stretched past its expiry. Sans I/O.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::compliance {

struct UnsubscribeClaim {
    std::string domain;        // the sender domain whose list the recipient leaves
    std::string list;          // the message's List-Id, "" when it had none
    std::string recipient;     // lower-cased
    std::int64_t expires = 0;  // unix seconds
};

class UnsubscribeLinks {
  public:
    using Clock = std::chrono::system_clock;
    UnsubscribeLinks(std::string base_url, std::string key, std::chrono::seconds lifetime)
        : base_url_(std::move(base_url)), key_(std::move(key)), lifetime_(lifetime) {}

    // The whole URL for a recipient of mail from `domain` to `list`, valid from `now` for the
    // configured lifetime: <base>/<token>. The token is also the mailto link's subject.
    std::string url(std::string_view domain, std::string_view list, std::string_view recipient,
                    Clock::time_point now) const;

    enum class Refusal { malformed, forged, expired };
    struct Verdict {
        std::optional<UnsubscribeClaim> claim;
        Refusal refusal = Refusal::malformed;  // when there is no claim
    };
    Verdict verify(std::string_view token, Clock::time_point now) const;

  private:
    std::string mac(std::string_view payload) const;

    std::string base_url_;  // no trailing '/'
    std::string key_;
    std::chrono::seconds lifetime_;
};

// base64url without padding (RFC 4648 5): what fits a URL path segment as it is.
std::string base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);

}  // namespace herald::compliance
