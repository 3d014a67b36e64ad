#include "delivery/router.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "dns/fixture_resolver.hpp"

namespace herald::delivery {
namespace {

config::Config config_with_routes(std::vector<config::Route> routes) {
    config::Config c;
    c.transports.push_back({.name = "brand", .type = config::Transport::Type::null});
    c.transports.push_back({.name = "rest", .type = config::Transport::Type::null});
    c.routes = std::move(routes);
    c.local.domains = {"Example.COM"};
    c.local.path = "var/mail/{user}";
    return c;
}

// Routing never resolves anything; the SMTP transports just need a resolver to hold.
Result<Router> router_for(const config::Config& config) {
    static auto resolver = dns::FixtureResolver::from_yaml(YAML::Load("{}"));
    return Router::from_config(config, TransportDependencies{.resolver = *resolver});
}

TEST(RouteMatches, MatchesAddressDomainAndStar) {
    EXPECT_TRUE(route_matches("*", "a@b.example"));
    EXPECT_TRUE(route_matches("*", ""));
    EXPECT_TRUE(route_matches("*@Brand.Example", "news@brand.example"));
    EXPECT_FALSE(route_matches("*@brand.example", "news@sub.brand.example"));
    EXPECT_TRUE(route_matches("news@brand.example", "news@BRAND.example"));
    EXPECT_FALSE(route_matches("news@brand.example", "News@brand.example"));
    EXPECT_FALSE(route_matches("*@brand.example", ""));
}

TEST(RoutedTransport, IsTheConfiguredTransportOfTheFirstMatchingRoute) {
    const auto config = config_with_routes({{.sender = "*@brand.example", .transport = "brand"},
                                            {.sender = "*@other.example", .transport = "rest"}});
    ASSERT_NE(routed_transport(config, "a@Brand.example"), nullptr);
    EXPECT_EQ(routed_transport(config, "a@Brand.example")->name, "brand");
    EXPECT_EQ(routed_transport(config, "a@other.example")->name, "rest");
    EXPECT_EQ(routed_transport(config, "a@third.example"), nullptr);  // no route matches
    EXPECT_EQ(routed_transport(config, ""), nullptr);
}

TEST(Router, TakesTheFirstMatchingRoute) {
    auto router =
        router_for(config_with_routes({{.sender = "*@brand.example", .transport = "brand"},
                                       {.sender = "*", .transport = "rest"}}));
    ASSERT_TRUE(router.ok()) << router.error();
    EXPECT_EQ(router->transport_for("a@brand.example", "x@remote.example")->name(), "brand");
    EXPECT_EQ(router->transport_for("a@other.example", "x@remote.example")->name(), "rest");
    EXPECT_EQ(router->transport_for("", "x@remote.example")->name(), "rest");
}

TEST(Router, SendsLocalDomainsToTheLocalMailboxWhateverTheSender) {
    auto router =
        router_for(config_with_routes({{.sender = "*@brand.example", .transport = "brand"},
                                       {.sender = "*", .transport = "rest"}}));
    ASSERT_TRUE(router.ok());
    EXPECT_EQ(router->transport_for("a@brand.example", "bob@example.com")->name(), "local");
    EXPECT_EQ(router->transport_for("a@brand.example", "bob@EXAMPLE.com")->name(), "local");
}

TEST(Router, DiscardsEverythingWhenNoRouteIsConfigured) {
    auto router = router_for(config_with_routes({}));
    ASSERT_TRUE(router.ok());
    EXPECT_EQ(router->transport_for("a@b.example", "c@d.example")->name(), "null");
}

TEST(Router, RefusesARouteToAnUnknownTransport) {
    auto router = router_for(config_with_routes({{.sender = "*", .transport = "nope"}}));
    EXPECT_FALSE(router.ok());
}

}  // namespace
}  // namespace herald::delivery
