#pragma once
// RFC 8461 3.2: the policy a domain serves at
// https://mta-sts.<domain>/.well-known/mta-sts.txt, lines of "key: value". Pure.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "delivery/tls_policy.hpp"

namespace herald::tlspolicy {

struct MtaStsPolicy {
    enum class Mode { enforce, testing, none };
    Mode mode = Mode::none;
    std::vector<std::string> mx;  // patterns, lower case
    std::int64_t max_age = 0;     // seconds the policy may be cached and applied

    // What the SMTP transport applies: nothing for mode none.
    delivery::TlsPolicy as_tls_policy() const;
    // The text again, as a domain would serve it (what the cache keeps).
    std::string text() const;

    bool operator==(const MtaStsPolicy&) const = default;
};

std::string_view to_string(MtaStsPolicy::Mode mode);

// RFC 8461 3.2: version, mode and max_age are required, and one mx at least unless the mode
// is none; of a key given twice the first counts (mx excepted); unknown keys are passed
// over. max_age is at most 31557600 (a year).
Result<MtaStsPolicy> parse_mta_sts_policy(std::string_view text);

}  // namespace herald::tlspolicy
