#include "queue/queue_shape.hpp"

#include <gtest/gtest.h>

namespace herald::queue {
namespace {

using namespace std::chrono_literals;

TEST(QueueShape, AColumnHoldsAgesFromTheBoundBeforeItUpToItsOwn) {
    EXPECT_EQ(QueueShape::bucket_of(0s), 0u);
    EXPECT_EQ(QueueShape::bucket_of(299s), 0u);
    EXPECT_EQ(QueueShape::bucket_of(300s), 1u);  // 5 minutes: the "10" column
    EXPECT_EQ(QueueShape::bucket_of(599s), 1u);
    EXPECT_EQ(QueueShape::bucket_of(600s), 2u);
    EXPECT_EQ(QueueShape::bucket_of(1279min), 8u);
    EXPECT_EQ(QueueShape::bucket_of(1280min), 9u);  // "1280+"
    EXPECT_EQ(QueueShape::bucket_of(std::chrono::hours(24 * 365 * 20)), 9u);
    EXPECT_EQ(QueueShape::bucket_of(-30s), 0u);  // a clock set back
}

TEST(QueueShape, NamesItsColumnsInMinutesAsQshape) {
    EXPECT_EQ(QueueShape::bucket_names(),
              (std::vector<std::string>{"5", "10", "20", "40", "80", "160", "320", "640", "1280",
                                        "1280+"}));
}

TEST(QueueShape, RowsAreSortedByTotalThenName) {
    QueueShape shape;
    shape.add("example.org", 1min);
    shape.add("example.net", 1min);
    shape.add("example.com", 7min, 2);
    shape.add("example.net", 2000min);
    shape.add("example.net", 90min);
    const auto rows = shape.rows();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].name, "example.net");
    EXPECT_EQ(rows[0].total, 3u);
    EXPECT_EQ(rows[0].counts[0], 1u);
    EXPECT_EQ(rows[0].counts[5], 1u);  // 90 minutes: 80 to 160
    EXPECT_EQ(rows[0].counts[9], 1u);
    EXPECT_EQ(rows[1].name, "example.com");
    EXPECT_EQ(rows[1].counts[1], 2u);
    EXPECT_EQ(rows[2].name, "example.org");
    const auto total = shape.total();
    EXPECT_EQ(total.name, "TOTAL");
    EXPECT_EQ(total.total, 6u);
    EXPECT_EQ(total.counts[0], 2u);
    EXPECT_EQ(total.counts[1], 2u);
}

TEST(QueueShape, AnEmptyShapeHasATotalOfNothing) {
    QueueShape shape;
    EXPECT_TRUE(shape.rows().empty());
    EXPECT_EQ(shape.total().total, 0u);
}

}  // namespace
}  // namespace herald::queue
