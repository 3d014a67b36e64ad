#include "delivery/live_router.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "dns/fixture_resolver.hpp"

namespace herald::delivery {
namespace {

// A router with one null transport named `name` for every sender.
std::shared_ptr<const Router> router_named(const std::string& name) {
    static auto resolver = dns::FixtureResolver::from_yaml(YAML::Load("{}"));
    config::Config c;
    c.transports.push_back({.name = name, .type = config::Transport::Type::null});
    c.routes.push_back({.sender = "*", .transport = name});
    auto built = Router::from_config(c, TransportDependencies{.resolver = *resolver});
    EXPECT_TRUE(built.ok()) << built.error();
    return std::make_shared<const Router>(std::move(*built));
}

TEST(LiveRouter, AnswersWithTheRouterInForce) {
    LiveRouter live(router_named("first"));
    EXPECT_EQ(live.transport_for("a@x.example", "b@y.example")->name(), "first");
    live.replace(router_named("second"));
    EXPECT_EQ(live.transport_for("a@x.example", "b@y.example")->name(), "second");
}

TEST(LiveRouter, ADeliveryKeepsTheTransportsItStartedWithAfterAReplace) {
    LiveRouter live(router_named("first"));
    std::weak_ptr<const Router> first = live.current();
    const auto pinned = live.pinned();  // as a DeliveryAttempt takes it
    Transport* transport = pinned->transport_for("a@x.example", "b@y.example");
    live.replace(router_named("second"));
    // The old router lives while the delivery holds it, and its transport with it.
    ASSERT_FALSE(first.expired());
    EXPECT_EQ(transport->name(), "first");
    EXPECT_EQ(pinned->transport_for("a@x.example", "b@y.example")->name(), "first");
}

TEST(LiveRouter, TheOldRouterGoesWithTheLastDeliveryThatHeldIt) {
    LiveRouter live(router_named("first"));
    std::weak_ptr<const Router> first = live.current();
    auto pinned = live.pinned();
    live.replace(router_named("second"));
    pinned.reset();
    EXPECT_TRUE(first.expired());
}

TEST(TransportSelector, AFixedSelectorPinsItselfWithoutOwningIt) {
    auto router = router_named("only");
    const TransportSelector& selector = *router;
    const auto pinned = selector.pinned();
    EXPECT_EQ(pinned.get(), &selector);
    EXPECT_EQ(pinned.use_count(), 0);
}

}  // namespace
}  // namespace herald::delivery
