#pragma once
// Which messages get one-click unsubscribe headers (RFC 8058 3.1, 3.2), decided once at
// acceptance, before signing, so that the DKIM signature covers them (mailauth/dkim signs
// List-Unsubscribe and List-Unsubscribe-Post whenever they are there):
//   List-Unsubscribe: <https://.../u/<token>>[, <mailto:<[unsubscribe] mailto>?subject=<token>>]
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// for mail from the [unsubscribe] senders to one recipient (the link names the recipient, so
// a message shared by several cannot carry one). A message that has the headers keeps them;
// they are checked, and a form that providers will not honour is a mainlog line. Sans I/O.
#include <chrono>
#include <string>
#include <vector>

#include "compliance/unsubscribe_link.hpp"
#include "message/envelope.hpp"
#include "message/header_block.hpp"

namespace herald::compliance {

struct UnsubscribeDecision {
    std::string fields;  // to add to the header section, CRLF-terminated; "" for none
    std::string note;    // for the mainlog, about this message; "" when there is nothing to say
};

class UnsubscribeHeaders {
  public:
    // `senders`: lower-case sender domains, or "*" for every one. `mailto`: the address that
    // takes unsubscribe mail ([unsubscribe] mailto), "" for none.
    UnsubscribeHeaders(UnsubscribeLinks links, std::vector<std::string> senders,
                       std::string mailto = {})
        : links_(std::move(links)), senders_(std::move(senders)), mailto_(std::move(mailto)) {}

    UnsubscribeDecision decide(const message::Envelope& envelope,
                               const message::HeaderBlock& headers,
                               UnsubscribeLinks::Clock::time_point now) const;
    const UnsubscribeLinks& links() const { return links_; }

  private:
    UnsubscribeLinks links_;
    std::vector<std::string> senders_;
    std::string mailto_;
};

// Whether [unsubscribe] senders (lower-case domains, or "*") covers mail from `sender_domain`:
// the headers ask it per message, `herald doctor --bulk` per domain.
bool unsubscribe_covers(const std::vector<std::string>& senders, std::string_view sender_domain);

// Why existing List-Unsubscribe headers are not one-click as RFC 8058 and the providers want
// it (an https URI in List-Unsubscribe, List-Unsubscribe-Post exactly
// "List-Unsubscribe=One-Click"); "" when they are.
std::string one_click_problem(const message::HeaderBlock& headers);

}  // namespace herald::compliance
