#include "compliance/sender_volume.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace herald::compliance {
namespace {

using namespace std::chrono_literals;
using Clock = SenderVolume::Clock;

// Noon (UTC) of day 20'414 since the epoch: 2025-11-22.
constexpr std::int64_t kToday = 20'414;
const Clock::time_point kNoon = Clock::time_point(std::chrono::days(kToday)) + 12h;

Clock::time_point noon_of(std::int64_t day) {
    return Clock::time_point(std::chrono::days(day)) + 12h;
}

std::string state_with(std::string_view day, std::string_view counts) {
    return R"({"version":1,"domains":{"example.com":{")" + std::string(day) + R"(":)" +
           std::string(counts) + "}}}";
}

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "herald-volume-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::filesystem::path operator/(const char* name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

TEST(SenderVolume, CountsEachKindPerDomainAndDay) {
    SenderVolume volume;
    volume.count_accepted("example.com", kNoon);
    volume.count_accepted("example.com", kNoon + 1h);
    volume.count_delivered("example.com", kNoon);
    volume.count_delivered("example.com", kNoon);
    volume.count_delivered("example.com", kNoon);
    volume.count_complaint("example.com", kNoon);
    volume.count_accepted("other.example", kNoon);

    EXPECT_EQ(volume.accepted_today("example.com", kNoon), 2u);
    const auto week = volume.last_week("example.com", kNoon);
    EXPECT_EQ(week.accepted, 2u);
    EXPECT_EQ(week.delivered, 3u);
    EXPECT_EQ(week.complaints, 1u);
    EXPECT_EQ(volume.accepted_today("other.example", kNoon), 1u);
    EXPECT_EQ(volume.accepted_today("unknown.example", kNoon), 0u);
}

TEST(SenderVolume, StartsANewDayAtUtcMidnight) {
    SenderVolume volume;
    const auto midnight = Clock::time_point(std::chrono::days(kToday + 1));
    volume.count_accepted("example.com", midnight - 1ms);
    volume.count_accepted("example.com", midnight);
    volume.count_accepted("example.com", midnight + 1s);

    EXPECT_EQ(volume.accepted_today("example.com", midnight - 1ms), 1u);
    EXPECT_EQ(volume.accepted_today("example.com", midnight), 2u);
    EXPECT_EQ(volume.last_week("example.com", midnight).accepted, 3u);
}

TEST(SenderVolume, DropsTheEighthDayFromTheWeek) {
    SenderVolume volume;
    for (std::int64_t day = kToday; day < kToday + 7; ++day) {
        volume.count_delivered("example.com", noon_of(day));
    }
    EXPECT_EQ(volume.last_week("example.com", noon_of(kToday + 6)).delivered, 7u);
    // Read on the eighth day, the first is out of the week even before anything is counted.
    EXPECT_EQ(volume.last_week("example.com", noon_of(kToday + 7)).delivered, 6u);
    EXPECT_NE(volume.to_json().find('"' + std::to_string(kToday) + '"'), std::string::npos);

    // A count on the eighth day drops the first from memory.
    volume.count_delivered("example.com", noon_of(kToday + 7));
    EXPECT_EQ(volume.last_week("example.com", noon_of(kToday + 7)).delivered, 7u);
    EXPECT_EQ(volume.to_json().find('"' + std::to_string(kToday) + '"'), std::string::npos);
    EXPECT_NE(volume.to_json().find('"' + std::to_string(kToday + 1) + '"'), std::string::npos);
}

TEST(SenderVolume, ForgetsQuietDomainsWhoseDaysAllLeftTheWeek) {
    SenderVolume volume;
    volume.count_accepted("quiet.example", noon_of(kToday));
    volume.count_accepted("busy.example", noon_of(kToday + 7));
    const auto saved = volume.to_json();
    EXPECT_EQ(saved.find("quiet.example"), std::string::npos) << saved;
    EXPECT_NE(saved.find("busy.example"), std::string::npos) << saved;
}

TEST(SenderVolume, HasNoComplaintRateWithoutDeliveries) {
    SenderVolume volume;
    volume.count_accepted("example.com", kNoon);
    volume.count_complaint("example.com", kNoon);
    EXPECT_EQ(volume.complaint_rate("example.com", kNoon), std::nullopt);
    EXPECT_EQ(volume.complaint_rate("unknown.example", kNoon), std::nullopt);
}

TEST(SenderVolume, ComplaintRateIsComplaintsOverDeliveriesOfTheWeek) {
    SenderVolume volume;
    for (int i = 0; i < 1000; ++i) volume.count_delivered("example.com", kNoon - 24h * (i % 7));
    for (int i = 0; i < 3; ++i) volume.count_complaint("example.com", kNoon);
    // A week and a day ago: outside the window, so it must not count.
    volume.count_complaint("example.com", kNoon - 24h * 7);

    const auto rate = volume.complaint_rate("example.com", kNoon);
    ASSERT_TRUE(rate);
    EXPECT_DOUBLE_EQ(*rate, 0.003);
}

TEST(SenderVolume, TreatsDomainsWithoutRegardToCase) {
    SenderVolume volume;
    volume.count_accepted("Example.COM", kNoon);
    volume.count_accepted("example.com", kNoon);
    EXPECT_EQ(volume.accepted_today("EXAMPLE.com", kNoon), 2u);
    EXPECT_NE(volume.to_json().find("\"example.com\""), std::string::npos);
    EXPECT_EQ(volume.to_json().find("Example"), std::string::npos);
}

TEST(SenderVolume, IgnoresTheEmptyDomainOfTheNullSender) {
    SenderVolume volume;
    volume.count_accepted("", kNoon);
    EXPECT_EQ(volume.accepted_today("", kNoon), 0u);
    EXPECT_EQ(volume.to_json(), "{\"version\":1,\"domains\":{}}\n");
}

TEST(SenderVolume, RoundTripsThroughJson) {
    SenderVolume volume;
    volume.count_accepted("example.com", kNoon);
    volume.count_accepted("example.com", kNoon - 24h);
    volume.count_delivered("example.com", kNoon - 24h);
    volume.count_complaint("example.com", kNoon - 48h);
    volume.count_delivered("other.example", kNoon);

    const auto text = volume.to_json();
    EXPECT_NE(text.find("\"version\":1"), std::string::npos) << text;
    auto restored = SenderVolume::from_json(text, kNoon);
    ASSERT_TRUE(restored) << restored.error();
    EXPECT_EQ(restored->to_json(), text);
    EXPECT_EQ(restored->accepted_today("example.com", kNoon), 1u);
    const auto week = restored->last_week("example.com", kNoon);
    EXPECT_EQ(week.accepted, 2u);
    EXPECT_EQ(week.delivered, 1u);
    EXPECT_EQ(week.complaints, 1u);
    EXPECT_EQ(restored->last_week("other.example", kNoon).delivered, 1u);
}

TEST(SenderVolume, FromJsonRefusesWhatIsNotItsFormat) {
    const std::string today = std::to_string(kToday);
    for (const std::string& text : {
             std::string("not json"),
             std::string("[]"),
             std::string(R"({"domains":{}})"),
             std::string(R"({"version":2,"domains":{}})"),
             std::string(R"({"version":1,"domains":[]})"),
             std::string(R"({"version":1,"domains":{"example.com":[1,2,3]}})"),
             std::string(R"({"version":1,"domains":{"":{}}})"),
             state_with("yesterday", "[1,2,3]"),
             state_with(today + "x", "[1,2,3]"),
             state_with(today, "[1,2]"),
             state_with(today, "[1,2,3,4]"),
             state_with(today, "[1,-2,3]"),
             state_with(today, "[1,2.5,3]"),
             state_with(today, "[1,\"2\",3]"),
             state_with(today, "{\"accepted\":1}"),
         }) {
        const auto parsed = SenderVolume::from_json(text, kNoon);
        ASSERT_FALSE(parsed) << text;
        EXPECT_FALSE(parsed.error().empty()) << text;
    }
}

TEST(SenderVolume, FromJsonRefusesDaysMoreThanADayAhead) {
    const auto tomorrow =
        SenderVolume::from_json(state_with(std::to_string(kToday + 1), "[1,0,0]"), kNoon);
    ASSERT_TRUE(tomorrow) << tomorrow.error();
    const auto later =
        SenderVolume::from_json(state_with(std::to_string(kToday + 2), "[1,0,0]"), kNoon);
    ASSERT_FALSE(later);
    EXPECT_NE(later.error().find("future"), std::string::npos) << later.error();
    EXPECT_NE(later.error().find(std::to_string(kToday + 2)), std::string::npos);
}

TEST(SenderVolume, FromJsonDropsDaysBeforeTheWeek) {
    const std::string text = R"({"version":1,"domains":{"example.com":{")" +
                             std::to_string(kToday - 7) + R"(":[5,5,5],")" +
                             std::to_string(kToday - 6) + R"(":[1,2,0]},"Old.Example":{")" +
                             std::to_string(kToday - 30) + R"(":[9,9,9]}}})";
    const auto parsed = SenderVolume::from_json(text, kNoon);
    ASSERT_TRUE(parsed) << parsed.error();
    const auto week = parsed->last_week("example.com", kNoon);
    EXPECT_EQ(week.accepted, 1u);
    EXPECT_EQ(week.delivered, 2u);
    EXPECT_EQ(week.complaints, 0u);
    const auto saved = parsed->to_json();
    EXPECT_EQ(saved.find(std::to_string(kToday - 7)), std::string::npos) << saved;
    EXPECT_EQ(saved.find("old.example"), std::string::npos) << saved;
}

TEST(SenderVolume, LoadsAMissingFileAsAnEmptyState) {
    TempDir dir;
    const auto loaded = SenderVolume::load(dir / "sender_volume.json", kNoon);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->accepted_today("example.com", kNoon), 0u);
    EXPECT_EQ(loaded->to_json(), "{\"version\":1,\"domains\":{}}\n");
}

TEST(SenderVolume, RefusesToLoadADamagedFile) {
    TempDir dir;
    const auto path = dir / "sender_volume.json";
    std::ofstream(path) << R"({"version":1,"domains":{"example.com":{)";
    const auto loaded = SenderVolume::load(path, kNoon);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find(path.string()), std::string::npos) << loaded.error();
}

TEST(SenderVolume, SavesAndLoadsThroughAFile) {
    TempDir dir;
    const auto path = dir / "sender_volume.json";
    SenderVolume volume;
    volume.count_accepted("example.com", kNoon);
    volume.count_delivered("example.com", kNoon);
    volume.count_complaint("example.com", kNoon - 24h);
    ASSERT_TRUE(volume.save(path));

    const auto loaded = SenderVolume::load(path, kNoon + 24h);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->accepted_today("example.com", kNoon), 1u);
    EXPECT_EQ(loaded->accepted_today("example.com", kNoon + 24h), 0u);
    const auto week = loaded->last_week("example.com", kNoon + 24h);
    EXPECT_EQ(week.accepted, 1u);
    EXPECT_EQ(week.delivered, 1u);
    EXPECT_EQ(week.complaints, 1u);
}

TEST(SenderVolume, SaysWhenACountCameSinceItWasLastAsked) {
    SenderVolume volume;
    EXPECT_FALSE(volume.take_changed());
    volume.count_delivered("example.com", kNoon);
    EXPECT_TRUE(volume.take_changed());
    EXPECT_FALSE(volume.take_changed());
    volume.count_accepted("", kNoon);                             // not counted: nothing changed
    volume.count_complaint("example.com", noon_of(kToday - 30));  // before the week
    EXPECT_FALSE(volume.take_changed());
    auto loaded = SenderVolume::from_json(volume.to_json(), kNoon);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_FALSE(loaded->take_changed());  // what was loaded is what the file holds
}

TEST(SenderVolume, CopiesAreIndependentAndMovesKeepTheCounts) {
    SenderVolume volume;
    volume.count_accepted("example.com", kNoon);
    SenderVolume copy = volume;
    copy.count_accepted("example.com", kNoon);
    EXPECT_EQ(volume.accepted_today("example.com", kNoon), 1u);
    EXPECT_EQ(copy.accepted_today("example.com", kNoon), 2u);

    SenderVolume moved = std::move(copy);
    EXPECT_EQ(moved.accepted_today("example.com", kNoon), 2u);
    volume = moved;
    EXPECT_EQ(volume.accepted_today("example.com", kNoon), 2u);
}

TEST(SenderVolume, ForgetsTheSmallestDomainBeyondTheBound) {
    SenderVolume volume;
    volume.count_accepted("keeper.example", kNoon);
    volume.count_accepted("keeper.example", kNoon);
    const auto name = [](std::size_t i) { return "d" + std::to_string(i) + ".example"; };
    for (std::size_t i = 0; i + 1 < SenderVolume::kMaxDomains; ++i) {
        volume.count_accepted(name(i), kNoon);
    }
    volume.count_accepted("newcomer.example", kNoon);

    EXPECT_EQ(volume.accepted_today("keeper.example", kNoon), 2u);
    EXPECT_EQ(volume.accepted_today("newcomer.example", kNoon), 1u);
    std::size_t forgotten = 0;
    for (std::size_t i = 0; i + 1 < SenderVolume::kMaxDomains; ++i) {
        if (volume.accepted_today(name(i), kNoon) == 0) ++forgotten;
    }
    EXPECT_EQ(forgotten, 1u);
}

}  // namespace
}  // namespace herald::compliance
