#pragma once
// Which bounce category (docs/events.md) a failed or deferred delivery belongs to, read from
// the receiver's reply, a DSN's Status and Diagnostic-Code, or Herald's own reason when there
// was no reply. The rules are config/bounce_rules.toml (compiled in) or the file
// `[bounces] rules` names: the first rule whose given conditions all hold wins; a reply that no
// rule knows is classified by its enhanced status code as RFC 3463 defines it, and failing that
// is `other` (`transient-failure` for a 4xx).
//
// Sans I/O. The regular expressions are compiled once, by parse(); classify() only reads, so
// one classifier serves every thread. It runs on every failed delivery: the cheap conditions
// (codes) are tried before a rule's expression, and at most the first kMaxSearched characters
// of a reply are searched, which holds every reason a receiver gives and bounds the work.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "events/bounce_category.hpp"
#include "events/reply_cause.hpp"

namespace herald::events {

struct BounceRule;  // one rule, its expression compiled (bounce_classifier.cpp)

// What a reply says: its category, and the sender's problem it names when the rule that
// matched gives one (the deferral explainer's cause).
struct BounceReading {
    BounceCategory category = BounceCategory::other;
    ReplyCause cause = ReplyCause::none;
    std::string rule;  // the rule that matched; "" when the status codes decided
};

class BounceClassifier {
  public:
    // Replies are read this far: a reply line is at most 512 octets (RFC 5321 4.5.3.1.5).
    static constexpr std::size_t kMaxSearched = 1024;

    // No rules: the enhanced status code alone decides.
    BounceClassifier();
    ~BounceClassifier();
    BounceClassifier(const BounceClassifier&);
    BounceClassifier(BounceClassifier&&) noexcept;
    BounceClassifier& operator=(const BounceClassifier&);
    BounceClassifier& operator=(BounceClassifier&&) noexcept;

    // Parses a rules file (config/bounce_rules.toml describes the format). Every error names the
    // file, the line of the rule or of the key, and the key: an unknown key or category, a bad
    // code, class, enhanced code or regular expression, a missing name or category, a rule
    // without conditions, a name used twice. All errors are returned, one a line.
    static Result<BounceClassifier> parse(std::string_view toml_text, std::string_view source_name);

    // The category of a reply: "550 5.1.1 <x@y>: Recipient address rejected: ...", a multi-line
    // reply joined with spaces ("550-5.1.1 ... 550 5.1.1 ..."), or a reason of Herald's own
    // ("connect to mx.example [192.0.2.1]: connect: Connection refused",
    // "4.4.7 message expired: too long in the queue"). Never throws.
    BounceCategory classify(std::string_view reply) const;
    // The same, with the cause and the rule.
    BounceReading read(std::string_view reply) const;

    // The category of a DSN's recipient: its Status ("5.1.1") and Diagnostic-Code
    // ("smtp; 550 5.1.1 ...", the type before ';' is optional; may be empty). The rules see the
    // diagnostic; the status stands in for its enhanced code when the diagnostic has none, and
    // for the reply class when it has no reply code. Never throws.
    BounceCategory classify_status(std::string_view status, std::string_view diagnostic) const;
    BounceReading read_status(std::string_view status, std::string_view diagnostic) const;

    // The number of rules.
    std::size_t size() const;

  private:
    explicit BounceClassifier(std::vector<BounceRule> rules);

    // `text` starts with the reply (or the diagnostic) whose codes are given; 0 and "" for none.
    BounceReading classify_text(std::string_view text, int code, std::string_view enhanced) const;

    std::vector<BounceRule> rules_;
    // Replies repeat (a provider's throttling text names the same source address each time):
    // each is classified once, and a bounded table answers the repeats. Shared by copies.
    struct Recent;
    std::shared_ptr<Recent> recent_;
};

}  // namespace herald::events
