#pragma once
// How the queue gauges and the delivery counters of /metrics name a recipient's destination:
// its domain in lower case. The first kMaxDestinationLabels domains get their own label; the
// rest are added up under kOtherDestinations, so that a spammer's list cannot blow up the
// scrape.
#include <cstddef>
#include <string>
#include <string_view>

namespace herald::queue {

inline constexpr std::size_t kMaxDestinationLabels = 200;
inline constexpr std::string_view kOtherDestinations = "other";

// The recipient's domain, lower-case; "none" for an address without one.
std::string destination_label(std::string_view recipient);

}  // namespace herald::queue
