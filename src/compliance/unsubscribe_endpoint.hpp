#pragma once
// What a [[listener]] mode = "unsubscribe" answers (RFC 8058, issue 19), for
// <[unsubscribe] url>/<token>:
//   POST  the one-click unsubscribe: the recipient leaves the sender domain's list (an
//         `unsubscribed` event, which [suppression] add_on turns into a list entry), 200
//   GET   a page with a button that POSTs: link scanners follow GETs, and must not
//         unsubscribe anyone
//   a token that is forged, damaged or expired: 403, counted
// No cookies, no redirects, no state but the lists (RFC 8058 3.1).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "admin/http_types.hpp"
#include "compliance/unsubscribe_link.hpp"
#include "events/event_hub.hpp"

namespace herald::compliance {

class UnsubscribeEndpoint {
  public:
    using Note = std::function<void(const std::string&)>;  // a mainlog line
    UnsubscribeEndpoint(const UnsubscribeLinks& links, const events::EventHub& hub, Note note)
        : links_(links), hub_(hub), note_(std::move(note)) {}

    admin::HttpResponse answer(const admin::HttpRequest& request);

    enum class Outcome { unsubscribed, page, forged, expired, malformed };
    static constexpr std::array<std::string_view, 5> kOutcomeNames = {
        "unsubscribed", "page", "forged", "expired", "malformed"};
    std::uint64_t count(Outcome outcome) const {
        return counts_[static_cast<std::size_t>(outcome)];
    }

  private:
    admin::HttpResponse refused(UnsubscribeLinks::Refusal refusal, const std::string& client);
    admin::HttpResponse unsubscribe(const UnsubscribeClaim& claim, const std::string& client);

    const UnsubscribeLinks& links_;
    const events::EventHub& hub_;
    Note note_;
    std::array<std::atomic<std::uint64_t>, kOutcomeNames.size()> counts_{};
};

}  // namespace herald::compliance
