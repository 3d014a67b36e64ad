#pragma once
// The deferral explainer (issue 19): a receiver's refusal or deferral that names an
// authentication, reputation or policy problem (its bounce rule's `cause`,
// events/reply_cause.hpp) is matched to the doctor's checks for that problem, run against the
// sender's DNS as it is now, and the result is said in one line: what the receiver said,
// what the checks find, and what to fix.
//
// A throttled stream repeats the same reply thousands of times: an explanation is kept for
// kKept per (cause, domains, address), so the DNS is asked once in a while, not per message.
// Runs on the server's one event loop (no lock).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "doctor/finding.hpp"
#include "events/reply_cause.hpp"

namespace herald::doctor {

struct ExplainerSettings {
    std::string helo;                   // the name Herald says in EHLO
    std::vector<config::DkimKey> keys;  // the configured keys, whose DNS records are checked
    std::vector<std::string> ip_lists;  // [compliance] block_lists
};

// What was refused, and by whom.
struct Refusal {
    events::ReplyCause cause = events::ReplyCause::none;
    std::string from_domain;    // RFC5322.From: DKIM and DMARC are about it
    std::string sender_domain;  // the envelope sender's: SPF is about it; "" for bounces
    std::string ip;             // where the mail left from; "" when unknown
};

struct Explanation {
    events::ReplyCause cause = events::ReplyCause::none;
    std::vector<Finding> findings;  // the doctor's checks, as they find the DNS now
    // "spf: the receiver says SPF did not pass; now: FAIL spf: ...; fix: ..."
    std::string text;
};

// The text for a cause and the findings of its checks (pure).
std::string explanation_text(events::ReplyCause cause, const std::vector<Finding>& findings);

class DeferralExplainer {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::minutes kKept{10};
    static constexpr std::size_t kMostKept = 1024;

    DeferralExplainer(dns::Resolver& resolver, ExplainerSettings settings)
        : resolver_(resolver), settings_(std::move(settings)) {}

    // A reload's keys and lists; what was explained with the old ones is explained again.
    void use(ExplainerSettings settings) {
        settings_ = std::move(settings);
        kept_.clear();
    }

    // The explanation of a refusal with a cause (not none).
    boost::asio::awaitable<Explanation> explain(const Refusal& refusal);

  private:
    boost::asio::awaitable<std::vector<Finding>> run_checks(const Refusal& refusal);

    using Key = std::tuple<events::ReplyCause, std::string, std::string, std::string>;
    struct Kept {
        Explanation explanation;
        Clock::time_point expires;
    };

    dns::Resolver& resolver_;
    ExplainerSettings settings_;
    std::map<Key, Kept> kept_;
};

}  // namespace herald::doctor
