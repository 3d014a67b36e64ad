#pragma once
// `herald queue summary`: the pending recipients of the queue by destination domain (or by
// transport) and by age, as Postfix's qshape shows them. The age columns double: a column
// counts the recipients of messages younger than its bound and at least as old as the one
// before it; the last counts everything older than 1280 minutes.
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace herald::queue {

// The upper bounds of the age columns, in minutes (qshape's defaults).
inline constexpr std::array<int, 9> kShapeBucketMinutes = {5, 10, 20, 40, 80, 160, 320, 640, 1280};
inline constexpr std::size_t kShapeBuckets = kShapeBucketMinutes.size() + 1;

class QueueShape {
  public:
    struct Row {
        std::string name;
        std::size_t total = 0;
        std::array<std::size_t, kShapeBuckets> counts{};
    };

    // The column of a message this old (a clock that went back counts as new).
    static std::size_t bucket_of(std::chrono::seconds age);
    // "5", "10", ... "1280", "1280+": the column headings, in minutes as qshape prints them.
    static std::vector<std::string> bucket_names();

    void add(std::string_view group, std::chrono::seconds age, std::size_t recipients = 1);

    // Most recipients first; equal totals by name.
    std::vector<Row> rows() const;
    // Every group added up, named "TOTAL".
    Row total() const;

  private:
    std::map<std::string, Row, std::less<>> groups_;
};

}  // namespace herald::queue
