#include "queue/queue_shape.hpp"

#include <algorithm>

namespace herald::queue {

std::size_t QueueShape::bucket_of(std::chrono::seconds age) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(age).count();
    const auto* bound = std::upper_bound(kShapeBucketMinutes.begin(), kShapeBucketMinutes.end(),
                                         static_cast<int>(std::min<long long>(minutes, 1 << 30)));
    return static_cast<std::size_t>(bound - kShapeBucketMinutes.begin());
}

std::vector<std::string> QueueShape::bucket_names() {
    std::vector<std::string> names;
    for (int minutes : kShapeBucketMinutes) names.push_back(std::to_string(minutes));
    names.push_back(std::to_string(kShapeBucketMinutes.back()) + "+");
    return names;
}

void QueueShape::add(std::string_view group, std::chrono::seconds age, std::size_t recipients) {
    auto it = groups_.find(group);
    if (it == groups_.end())
        it = groups_.emplace(std::string(group), Row{.name = std::string(group)}).first;
    it->second.total += recipients;
    it->second.counts[bucket_of(age)] += recipients;
}

std::vector<QueueShape::Row> QueueShape::rows() const {
    std::vector<Row> rows;
    rows.reserve(groups_.size());
    for (const auto& [name, row] : groups_) rows.push_back(row);
    // Stable over the map's name order: equal totals stay sorted by name.
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.total > b.total; });
    return rows;
}

QueueShape::Row QueueShape::total() const {
    Row sum{.name = "TOTAL"};
    for (const auto& [name, row] : groups_) {
        sum.total += row.total;
        for (std::size_t i = 0; i < kShapeBuckets; ++i) sum.counts[i] += row.counts[i];
    }
    return sum;
}

}  // namespace herald::queue
