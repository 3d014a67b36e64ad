#pragma once
// What the console's overview graphs: messages received and recipients delivered, deferred
// and bounced, per minute, over the last kMinutes. A fixed ring of per-minute counts in
// memory, so it costs the same whatever the traffic, and a restart starts it empty (the
// counters of /metrics are the durable view, for Prometheus). Metrics feeds it from the
// mainlog observer (metrics.hpp), the one place that counts these events.
//
// Not thread-safe by itself: Metrics' mutex guards it.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace herald::admin {

enum class Flow { received, delivered, deferred, bounced };
inline constexpr std::array<std::string_view, 4> kFlowNames = {"received", "delivered", "deferred",
                                                               "bounced"};

class MinuteHistory {
  public:
    using Clock = std::chrono::system_clock;
    using Counts = std::array<std::uint64_t, kFlowNames.size()>;
    static constexpr std::size_t kMinutes = 360;  // six hours

    // One event at `when`. One older than the ring's reach (the clock stepped back past a
    // bucket already reused) is dropped rather than counted in the wrong minute.
    void count(Flow flow, Clock::time_point when);

    struct Snapshot {
        Clock::time_point start;      // the start of the oldest minute
        std::vector<Counts> minutes;  // kMinutes of them, oldest first, the last one `now`'s
    };
    // Minutes in which nothing was counted are zeros.
    Snapshot snapshot(Clock::time_point now) const;

  private:
    struct Bucket {
        std::int64_t minute = -1;  // since the epoch; -1: never used
        Counts counts{};
    };
    std::array<Bucket, kMinutes> ring_;
};

}  // namespace herald::admin
