#pragma once
// A DMARC policy record (RFC 7489 6.3, 6.4), "v=DMARC1; p=reject; ...": every tag parsed.
// Only a bad v or p (6.6.3) makes the record unusable. A bad value of any other tag is
// discarded in favour of that tag's default, and the record still applies (6.3); the
// discarded values are kept in `ignored` so that doctor can tell the domain's owner.
// Unknown tags are ignored (6.3).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::mailauth::dmarc {

enum class Policy { none, quarantine, reject };
enum class Alignment { relaxed, strict };
std::string_view to_string(Policy policy);
std::string_view to_string(Alignment alignment);

struct Record {
    Policy policy = Policy::none;                   // p
    Policy subdomain_policy = Policy::none;         // sp; p when absent
    std::optional<Policy> nonexistent_policy;       // np (RFC 9091); parsed, not applied
    Alignment dkim_alignment = Alignment::relaxed;  // adkim
    Alignment spf_alignment = Alignment::relaxed;   // aspf
    unsigned percent = 100;                         // pct
    std::vector<std::string> aggregate_uris;        // rua, as written ("mailto:a@b!10m")
    std::vector<std::string> failure_uris;          // ruf
    std::string failure_options = "0";              // fo: "0", "1", "d", "s" joined by ':'
    std::string report_format = "afrf";             // rf
    std::uint32_t report_interval = 86400;          // ri, seconds
    // One line a discarded value: "bad pct: '150' is not a number from 0 to 100".
    std::vector<std::string> ignored;

    // Errors start with what the check names: "not dmarc", "v not first", "bad version",
    // "missing p", "bad p", "bad tag", "duplicate tag", then say why.
    static Result<Record> parse(std::string_view text);
};

// Whether a TXT string is a DMARC record of the version Herald knows (6.6.3: others are
// discarded in discovery): "v=DMARC1" followed by ';', space or the end.
bool is_dmarc_record(std::string_view text);

}  // namespace herald::mailauth::dmarc
