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

// The label `recipient` counts under, given the labels `in_use` (a map keyed by label): its
// own while fewer than kMaxDestinationLabels are in use, kOtherDestinations after that.
template <typename LabelMap>
std::string capped_destination_label(std::string_view recipient, const LabelMap& in_use) {
    std::string label = destination_label(recipient);
    if (in_use.size() >= kMaxDestinationLabels && !in_use.contains(label)) {
        return std::string(kOtherDestinations);
    }
    return label;
}

}  // namespace herald::queue
