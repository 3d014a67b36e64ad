#include "delivery/transports/destination_pacer.hpp"

namespace herald::delivery {

DestinationPacer::DestinationPacer(std::size_t per_minute) {
    if (per_minute > 0) {
        interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) /
                    static_cast<Clock::rep>(per_minute);
    }
}

DestinationPacer::Clock::time_point DestinationPacer::slot(const std::string& destination,
                                                           const std::string& id,
                                                           Clock::time_point now) {
    if (interval_ == Clock::duration::zero()) return now;
    return destinations_[destination].slot(id, now, interval_);
}

}  // namespace herald::delivery
