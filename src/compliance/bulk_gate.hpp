#pragma once
// The compliance gate (issue 19): for a message that counts as bulk, the facts the providers'
// bulk-sender rules ask about are gathered (the alignment preflight, the unsubscribe headers
// and the signatures that cover them, FCrDNS and HELO, TLS towards the recipients, the
// sender domain's complaint rate) and judged by compliance::judge (bulk_rules.hpp). Acceptance
// logs the verdict (mode log) or refuses the message at end of DATA (mode reject).
//
// DNS answers are cached (the preflight's own caches; reverse DNS per address for
// kReverseDnsKept, a DNS failure for dns::kResolutionFailureKept), so a stream of bulk mail
// costs a lookup once in a while. Runs on the server's event loop.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compliance/bulk_rules.hpp"
#include "compliance/sender_volume.hpp"
#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "mailauth/fcrdns.hpp"
#include "mailauth/preflight.hpp"
#include "message/envelope.hpp"
#include "message/header_block.hpp"

namespace herald::compliance {

// One message as the gate sees it, once the signing decision and the keys are known. Owns
// its parts: in log mode it is checked after the client has its reply.
struct BulkCandidate {
    message::Envelope envelope;
    message::HeaderBlock headers;  // as the client sent them
    std::string from_domain;
    bool unsubscribe_added = false;  // Herald adds its own one-click headers (and signs them)
    std::vector<mailauth::dkim::SigningChoice> signing;  // the signatures Herald will make
    mailauth::PreflightInput preflight;
};

// Why TLS cannot be had towards a recipient (its transport has tls = "none"); nullopt: it can.
using TlsProblem =
    std::function<std::optional<std::string>(std::string_view sender, std::string_view recipient)>;

class BulkGate {
  public:
    using Clock = std::chrono::system_clock;
    static constexpr std::chrono::minutes kReverseDnsKept{10};
    static constexpr std::size_t kMostKept = 1024;

    BulkGate(const config::Compliance& settings, dns::Resolver& resolver, SenderVolume& volume,
             TlsProblem tls_problem)
        : settings_(settings),
          resolver_(resolver),
          volume_(volume),
          tls_problem_(std::move(tls_problem)) {}

    // A reload's [compliance]: for the messages that arrive from now on.
    void use(const config::Compliance& settings) { settings_ = settings; }
    bool off() const { return settings_.mode == config::Compliance::Mode::off; }
    bool rejects() const { return settings_.mode == config::Compliance::Mode::reject; }

    // Whether the message is bulk: by its headers, or because its sender domain has sent
    // daily_volume messages or more today. Counts the message for the day.
    bool counts_as_bulk(const message::HeaderBlock& headers, const std::string& from_domain);

    boost::asio::awaitable<std::vector<RuleVerdict>> check(const BulkCandidate& candidate);

  private:
    boost::asio::awaitable<void> add_reverse_dns(const std::string& ip, const std::string& helo,
                                                 BulkFacts& facts);
    void add_tls(const message::Envelope& envelope, BulkFacts& facts) const;

    struct KeptReverseDns {
        mailauth::ReverseDns result;
        std::chrono::steady_clock::time_point expires;
    };

    config::Compliance settings_;
    dns::Resolver& resolver_;
    SenderVolume& volume_;
    TlsProblem tls_problem_;
    mailauth::Preflight preflight_;
    std::map<std::string, KeptReverseDns> reverse_dns_;
};

// The facts from what was found, shared by the gate and `herald doctor --bulk`:
// the preflight's alignment and DMARC record, the reverse DNS of the sending address with
// the HELO name, and the complaints of the last 7 days (facts.domain set before).
void set_alignment(const mailauth::PreflightResult& preflight, BulkFacts& facts);
void set_reverse_dns(const mailauth::ReverseDns& rdns, const std::string& helo, BulkFacts& facts);
void set_complaints(const SenderVolume& volume, SenderVolume::Clock::time_point now,
                    BulkFacts& facts);

// Whether a DKIM signature of `from_domain` (its own or a parent domain's: relaxed
// alignment) covers both List-Unsubscribe and List-Unsubscribe-Post: one Herald makes
// (`signing`, whose h= lists them when present unless a key names its own headers) or one
// the message already carries.
Fact unsubscribe_signed(const message::HeaderBlock& headers, const std::string& from_domain,
                        const std::vector<mailauth::dkim::SigningChoice>& signing,
                        bool herald_adds_them);

}  // namespace herald::compliance
