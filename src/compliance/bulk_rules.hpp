#pragma once
// The rules the big mailbox providers set for bulk senders (docs/research/bulk_senders.md),
// judged on what is known of one message and its sender: the compliance gate at acceptance
// and `herald doctor --bulk` both ask judge(), so they cannot disagree. Sans I/O: the facts
// are gathered by the caller (compliance/bulk_gate.hpp, cli/doctor_command.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "message/header_block.hpp"

namespace herald::compliance {

// Whether a known fact holds; unknown when it could not be found out (no sending address
// configured, DNS failed): reported, never a refusal.
enum class Fact { holds, fails, unknown };

struct BulkFacts {
    std::string domain;  // the From: domain
    // authentication: an aligned SPF or DKIM pass, and a DMARC record (any policy).
    Fact aligned = Fact::unknown;
    std::string alignment_detail;  // the preflight's why
    Fact dmarc_record = Fact::unknown;
    std::string dmarc_detail;
    // one-click unsubscribe (RFC 8058) in the message, covered by a DKIM signature of the
    // From: domain.
    Fact unsubscribe = Fact::unknown;
    std::string unsubscribe_detail;
    // FCrDNS of the sending address, and the HELO name equal to its name.
    Fact reverse_dns = Fact::unknown;
    std::string reverse_dns_detail;
    Fact helo_matches = Fact::unknown;
    std::string helo;
    // TLS to the receivers of this message.
    Fact tls = Fact::unknown;
    std::string tls_detail;
    // Complaints over the last 7 days; nullopt: nothing delivered in them.
    std::optional<double> complaint_rate;
    std::uint64_t complaints = 0;
    std::uint64_t delivered = 0;
    double max_complaint_rate = 0.003;
};

struct RuleVerdict {
    std::string_view rule;       // "authentication", "dmarc-record", ...
    Fact fact = Fact::unknown;   // holds: PASS, fails: FAIL, unknown: WARN
    std::string detail;          // what was found
    std::string_view fix;        // what to do when it fails
    std::string_view stated_by;  // the providers that state the rule
};

// "PASS", "FAIL", "WARN" (unknown).
std::string_view level_name(Fact fact);

// Every rule, in a fixed order.
std::vector<RuleVerdict> judge(const BulkFacts& facts);

// Whether a message counts as bulk by its own headers: a List-Id, or Precedence: bulk or
// list (RFC 2076; Gmail's and Yahoo's marks of bulk mail).
bool is_bulk_by_headers(const message::HeaderBlock& headers);

// "compliance example.com: FAIL one-click-unsubscribe (...); PASS ...", for the mainlog.
std::string summary_line(const std::vector<RuleVerdict>& verdicts);
// The rules that fail, by name.
std::vector<std::string> failed_rules(const std::vector<RuleVerdict>& verdicts);
// The 550 text for reject mode, from the first rule that fails: the rule, what was found, the
// fix and who states it; nullopt when none fails.
std::optional<std::string> refusal_text(const std::vector<RuleVerdict>& verdicts);

}  // namespace herald::compliance
