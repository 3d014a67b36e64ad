#pragma once
// The suppression lists at work (docs/events.md): what the gate and the delivery ask
// (lookup), and what adds to the lists by itself (a hard bounce of a chosen category, a
// complaint, an unsubscribe: watch). One place turns an entry into the refusal text.
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "events/event.hpp"
#include "events/event_hub.hpp"
#include "policy/suppressing.hpp"
#include "suppression/suppression_list.hpp"

namespace herald::suppression {

class Suppressions {
  public:
    using Trouble = std::function<void(const std::string&)>;  // a database error, for the paniclog
    // `hub`: where a refusal at RCPT is told (a `suppressed` event); may be null.
    Suppressions(std::unique_ptr<SuppressionList> list, const config::Suppression& config,
                 Trouble trouble, const events::EventHub* hub);

    // "suppressed since 2026-12-03: <reason>", or nullopt. A database error lets the mail
    // go (and is told): a broken list must not stop all mail.
    // With the message's list id (`list_id`, its List-Id), the list's own entries count too.
    std::optional<std::string> why(std::string_view sender, std::string_view recipient,
                                   std::string_view list_id = {});
    // For the gate: why(), and a `suppressed` event when the recipient is refused.
    policy::Suppressing for_gate();
    // policy::ListRefusal: every recipient on the list of `list_id` (their own entries, not
    // the domain's or the global ones, which RCPT asked already).
    std::optional<std::string> refuse_on_list(std::string_view sender,
                                              const std::vector<std::string>& recipients,
                                              std::string_view user, std::string_view list_id);

    // An event that adds to the lists: a bounce whose category is in add_on, a complaint or
    // an unsubscribe (when "complaint" / "unsubscribe" are in add_on).
    void watch(const events::Event& event);

    SuppressionList& list() { return *list_; }

  private:
    std::optional<Entry> find(std::string_view sender, std::string_view recipient,
                              std::string_view list_id);
    std::optional<std::string> refuse(std::string_view sender, std::string_view recipient,
                                      std::string_view user);
    // The refusal text of an entry, told as a `suppressed` event.
    std::string refusal(const Entry& entry, std::string_view sender, std::string_view recipient,
                        std::string_view user) const;

    std::unique_ptr<SuppressionList> list_;
    std::set<std::string, std::less<>> add_on_;
    bool refuse_relayed_;
    Trouble trouble_;
    const events::EventHub* hub_;
};

// The domain of an address ("" for the null sender or no '@'), lower-cased: a list's scope.
std::string domain_of(std::string_view address);
// "2026-12-03" for unix seconds.
std::string day_of(std::int64_t unix_seconds);

// An entry as `herald suppress list --json` and /api/v1/suppressions show it: address,
// domain ("*": global), reason, source, created (RFC 3339 UTC).
boost::json::object entry_json(const Entry& entry);

}  // namespace herald::suppression
