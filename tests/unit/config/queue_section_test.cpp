// [queue] delay_warning: a duration, 0 for none, shorter than max_age when written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace herald::config {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string errors_of(std::string_view text) {
    auto loaded = load_string(text, "q.toml");
    std::string all;
    for (const auto& e : loaded.errors) all += e + "\n";
    return all;
}

TEST(QueueSection, WarnsOfDelaysAfterFourHoursByDefault) {
    auto loaded = load_string("", "q.toml");
    ASSERT_TRUE(loaded.config);
    EXPECT_EQ(loaded.config->queue.delay_warning, Seconds{4 * 3600});
}

TEST(QueueSection, ReadsDelayWarningAndZeroForNone) {
    auto loaded = load_string("[queue]\ndelay_warning = \"90m\"\n", "q.toml");
    ASSERT_TRUE(loaded.config);
    EXPECT_EQ(loaded.config->queue.delay_warning, Seconds{5400});
    for (const char* off : {"delay_warning = 0\n", "delay_warning = \"0s\"\n"}) {
        auto none = load_string(std::string("[queue]\n") + off, "q.toml");
        ASSERT_TRUE(none.config) << off;
        EXPECT_EQ(none.config->queue.delay_warning, Seconds{0}) << off;
    }
}

TEST(QueueSection, RefusesABadDelayWarningWithItsLine) {
    EXPECT_THAT(errors_of("[queue]\nretry = [\"1m\"]\ndelay_warning = \"soon\"\n"),
                HasSubstr("q.toml:3: queue.delay_warning: 'soon' is not a duration"));
    EXPECT_THAT(errors_of("[queue]\ndelay_warning = true\n"),
                HasSubstr("q.toml:2: queue.delay_warning must be a duration"));
}

TEST(QueueSection, RefusesADelayWarningNotShorterThanMaxAge) {
    EXPECT_THAT(errors_of("[queue]\nmax_age = \"1d\"\ndelay_warning = \"1d\"\n"),
                HasSubstr("q.toml:3: queue.delay_warning must be shorter than queue.max_age"));
    // The default under a short max_age is no error: it never falls due.
    EXPECT_THAT(errors_of("[queue]\nmax_age = \"1h\"\n"), IsEmpty());
    EXPECT_THAT(errors_of("[queue]\nmax_age = \"1h\"\ndelay_warning = 0\n"), IsEmpty());
}

}  // namespace
}  // namespace herald::config
