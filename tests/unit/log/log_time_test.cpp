#include "log/log_time.hpp"

#include <gtest/gtest.h>

#include "base/timestamp.hpp"

namespace herald::log {
namespace {

std::string canonical(std::string_view text) {
    auto t = parse_iso8601(text);
    return t ? iso8601_utc(*t) : "<invalid>";
}

TEST(LogTime, ReadsTheLogsOwnFormat) {
    EXPECT_EQ(canonical("2026-11-22T20:55:49.123Z"), "2026-11-22T20:55:49.123Z");
}

TEST(LogTime, ReadsShorterFormsAsUtc) {
    EXPECT_EQ(canonical("2026-11-22"), "2026-11-22T00:00:00.000Z");
    EXPECT_EQ(canonical("2026-11-22T20:55"), "2026-11-22T20:55:00.000Z");
    EXPECT_EQ(canonical("2026-11-22 20:55:49"), "2026-11-22T20:55:49.000Z");
    EXPECT_EQ(canonical("2026-11-22T20:55:49.5"), "2026-11-22T20:55:49.500Z");
    EXPECT_EQ(canonical("2026-11-22T20:55:49.123456789Z"), "2026-11-22T20:55:49.123Z");
}

TEST(LogTime, AppliesZoneOffsets) {
    EXPECT_EQ(canonical("2026-11-22T22:55:49+02:00"), "2026-11-22T20:55:49.000Z");
    EXPECT_EQ(canonical("2026-11-22T15:55:49-0500"), "2026-11-22T20:55:49.000Z");
    EXPECT_EQ(canonical("2026-01-01T00:30+01:00"), "2025-12-31T23:30:00.000Z");
}

TEST(LogTime, RefusesWhatIsNotADateTime) {
    for (auto bad :
         {"", "yesterday", "2026-11", "2026-13-01", "2026-02-30", "2026-00-10", "2026-11-22T25:00",
          "2026-11-22T20:61", "2026-11-22T20", "2026-11-22T20:55Q", "2026-11-22T20:55:49.",
          "2026-11-22T20:55+2", "20261122", "2026-11-22x", "-2026-11-22"}) {
        EXPECT_FALSE(parse_iso8601(bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::log
