#pragma once
// RFC 8461 3.1: the TXT record at `_mta-sts.<domain>` says that the domain publishes an
// MTA-STS policy, and its `id` changes whenever the policy does, so that a sender fetches the
// policy again only then. Pure.
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace herald::tlspolicy {

struct MtaStsRecord {
    std::string id;  // 1-32 letters and digits
};

struct MtaStsLookup {
    std::optional<MtaStsRecord> record;
    std::string problem;  // why records that were published do not count; "" when none were
};

// The record among the TXT strings of `_mta-sts.<domain>`: those that do not start with
// "v=STSv1" are not about MTA-STS and are passed over. Several (the RFC says: then there is
// no policy) or a malformed one is a problem.
MtaStsLookup find_mta_sts_record(const std::vector<std::string>& txt);

}  // namespace herald::tlspolicy
