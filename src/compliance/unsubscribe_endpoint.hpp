#pragma once
// What a [[listener]] mode = "unsubscribe" answers (RFC 8058, issue 19), for
// <[unsubscribe] url>/<token>:
//   POST  the one-click unsubscribe: the recipient leaves the sender domain's list (an
//         `unsubscribed` event, which [suppression] add_on turns into a list entry), 200
//   GET   a page with a button that POSTs: link scanners follow GETs, and must not
//         unsubscribe anyone
//   a token that is forged, damaged or expired: 403, counted
// and the mail sent to [unsubscribe] mailto (take_mail): the token in its Subject, the same
// unsubscribe or the same refusal, without a page.
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
    // A message to the mailto address (`client`: "[ip]" or "local"), read whole.
    void take_mail(std::string_view message, std::string_view client);

    enum class Outcome { unsubscribed, page, forged, expired, malformed };
    static constexpr std::array<std::string_view, 5> kOutcomeNames = {
        "unsubscribed", "page", "forged", "expired", "malformed"};
    std::uint64_t count(Outcome outcome) const {
        return counts_[static_cast<std::size_t>(outcome)];
    }

  private:
    admin::HttpResponse refused(UnsubscribeLinks::Refusal refusal, const std::string& client);
    admin::HttpResponse unsubscribe(const UnsubscribeClaim& claim, const std::string& client);
    // Counted and logged: what a link or a mail did. `how`: "one-click unsubscribe", "mailto
    // unsubscribe"; `client`: "[ip]" or "local".
    Outcome refusal_outcome(UnsubscribeLinks::Refusal refusal, std::string_view how,
                            std::string_view client);
    void record(const UnsubscribeClaim& claim, std::string_view how, std::string_view client);

    const UnsubscribeLinks& links_;
    const events::EventHub& hub_;
    Note note_;
    std::array<std::atomic<std::uint64_t>, kOutcomeNames.size()> counts_{};
};

}  // namespace herald::compliance
