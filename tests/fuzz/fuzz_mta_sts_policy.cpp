// MTA-STS (RFC 8461): the _mta-sts TXT record and the policy a domain's HTTPS server sends,
// both untrusted; and the cache file read back. A policy that reads writes itself out and
// reads back the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "tlspolicy/mta_sts_policy.hpp"
#include "tlspolicy/mta_sts_record.hpp"
#include "tlspolicy/mta_sts_source.hpp"

using namespace herald::tlspolicy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto found = find_mta_sts_record({text, "v=spf1 -all"});
    if (found.record) FUZZ_CHECK(!found.record->id.empty() && found.record->id.size() <= 32);
    auto policy = parse_mta_sts_policy(text);
    if (policy) {
        FUZZ_CHECK(policy->max_age >= 0 && policy->max_age <= 31557600);
        FUZZ_CHECK(policy->mode == MtaStsPolicy::Mode::none || !policy->mx.empty());
        auto again = parse_mta_sts_policy(policy->text());
        FUZZ_CHECK(again && *again == *policy);
    } else {
        FUZZ_CHECK(!policy.error().empty());
    }
    (void)read_cached_policy(text);
    return 0;
}
