#pragma once
// VERP return paths (docs/events.md): each recipient's copy of a message leaves from
//   b+<queue id>.<mac>=<recipient local part>=<recipient domain>@<bounce domain>
// so that a bounce that comes back names the message and the recipient by its address
// alone, whatever the bouncing server writes in it. <mac> is 16 characters of base32
// (RFC 4648, lower case) of HMAC-SHA256 over the queue id and the recipient, lower-cased:
// a forged or altered address does not verify. Sans I/O.
#include <optional>
#include <string>
#include <string_view>

namespace herald::reports {

class Verp {
  public:
    Verp(std::string domain, std::string key) : domain_(std::move(domain)), key_(std::move(key)) {}

    // nullopt when the recipient cannot be carried (a local part that needs quoting, or not
    // ASCII): that copy keeps the envelope sender.
    std::optional<std::string> return_path(std::string_view queue_id,
                                           std::string_view recipient) const;

    struct Token {
        std::string queue_id;
        std::string recipient;  // lower-cased
    };
    // What an address at the bounce domain names, when it is a VERP address whose mac
    // verifies; nullopt otherwise (not one of ours, altered, forged).
    std::optional<Token> verify(std::string_view address) const;

    // An address at the bounce domain (any local part).
    bool at_bounce_domain(std::string_view address) const;
    const std::string& domain() const { return domain_; }

  private:
    std::string mac(std::string_view queue_id, std::string_view recipient) const;

    std::string domain_;  // lower-case
    std::string key_;
};

}  // namespace herald::reports
