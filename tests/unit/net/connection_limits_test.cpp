#include "net/connection_limits.hpp"

#include <gtest/gtest.h>

namespace herald::net {
namespace {

TEST(ConnectionLimits, RefusesOverThePerIpCeilingButAdmitsOthers) {
    ConnectionLimits limits(10, 2);
    auto a = limits.admit("192.0.2.1");
    auto b = limits.admit("192.0.2.1");
    auto c = limits.admit("192.0.2.1");
    ASSERT_TRUE(a.slot && b.slot);
    EXPECT_FALSE(c.slot);
    EXPECT_EQ(c.refusal, ConnectionLimits::Refusal::per_ip);
    EXPECT_TRUE(limits.admit("192.0.2.2").slot);
}

TEST(ConnectionLimits, RefusesOverTheTotalCeiling) {
    ConnectionLimits limits(2, 5);
    auto a = limits.admit("192.0.2.1");
    auto b = limits.admit("192.0.2.2");
    auto c = limits.admit("192.0.2.3");
    EXPECT_FALSE(c.slot);
    EXPECT_EQ(c.refusal, ConnectionLimits::Refusal::total);
}

TEST(ConnectionLimits, ReleasesThePlaceWhenASlotEnds) {
    ConnectionLimits limits(1, 1);
    {
        auto a = limits.admit("192.0.2.1");
        ASSERT_TRUE(a.slot);
        EXPECT_EQ(limits.active(), 1u);
        EXPECT_FALSE(limits.admit("192.0.2.1").slot);
    }
    EXPECT_EQ(limits.active(), 0u);
    EXPECT_TRUE(limits.admit("192.0.2.1").slot);
}

TEST(ConnectionLimits, AMovedSlotReleasesOnce) {
    ConnectionLimits limits(2, 2);
    {
        auto a = limits.admit("192.0.2.1");
        ConnectionLimits::Slot moved(std::move(*a.slot));
        a.slot.reset();
        EXPECT_EQ(limits.active(), 1u);
    }
    EXPECT_EQ(limits.active(), 0u);
}

}  // namespace
}  // namespace herald::net
