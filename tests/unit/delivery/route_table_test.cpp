#include "delivery/route_table.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

config::Config with_routes(std::vector<config::Route> routes) {
    config::Config c;
    c.local.domains = {"Local.Example"};
    c.routes = std::move(routes);
    return c;
}

TEST(RouteTable, SendsLocalDomainsToLocalWhateverTheSender) {
    RouteTable table(with_routes({{.sender = "*", .transport = "mx"}}));
    EXPECT_EQ(table.transport_name("a@brand.example", "bob@local.EXAMPLE"), "local");
    EXPECT_TRUE(table.is_local("bob@LOCAL.example"));
    EXPECT_FALSE(table.is_local("bob@sub.local.example"));
}

TEST(RouteTable, TakesTheFirstRouteThatMatchesTheSender) {
    RouteTable table(with_routes(
        {{.sender = "*@brand.example", .transport = "brand"}, {.sender = "*", .transport = "mx"}}));
    EXPECT_EQ(table.transport_name("news@Brand.Example", "x@y.example"), "brand");
    EXPECT_EQ(table.transport_name("", "x@y.example"), "mx");
    EXPECT_EQ(table.route_for("news@brand.example"), 0U);
    EXPECT_EQ(table.route_for("a@other.example"), 1U);
}

TEST(RouteTable, NamesNoTransportWhenNoRouteMatches) {
    RouteTable table(with_routes({{.sender = "*@brand.example", .transport = "brand"}}));
    EXPECT_EQ(table.route_for("a@other.example"), std::nullopt);
    EXPECT_EQ(table.transport_name("a@other.example", "x@y.example"), "none");
}

TEST(RouteTable, DiscardsEverythingWithoutARoute) {
    RouteTable table(with_routes({}));
    EXPECT_EQ(table.transport_name("a@other.example", "x@y.example"), RouteTable::kNull);
}

}  // namespace
}  // namespace herald::delivery
