// What the nodes write to Redis and tell each other: read back as written, and garbage (what
// no node wrote, or another node's own echo) is ignored, never applied.
#include <gtest/gtest.h>

#include "state/shared_shaping.hpp"
#include "state/shared_suppressions.hpp"

namespace herald::state {
namespace {

using Change = suppression::SuppressionList::Change;

TEST(SharedSuppressionText, AnEntryAndATombstoneRoundTrip) {
    const Change added{.entry = {.address = "a@example.net",
                                 .scope = "brand.test",
                                 .reason = "said \"stop\"",
                                 .source = "api",
                                 .created = 1700000000}};
    const SharedChange shared = shared_change(added, 1700000100);
    EXPECT_EQ(shared.field, "brand.test a@example.net");
    auto read = read_change(shared.field, shared.value);
    ASSERT_TRUE(read);
    EXPECT_FALSE(read->removed);
    EXPECT_EQ(read->entry.reason, "said \"stop\"");
    EXPECT_EQ(read->entry.created, 1700000000);

    const SharedChange removal = shared_change({.removed = true, .entry = added.entry}, 1700000200);
    EXPECT_EQ(removal.value, R"({"removed":1700000200})");
    auto gone = read_change(removal.field, removal.value);
    ASSERT_TRUE(gone && gone->removed);
    EXPECT_EQ(gone->entry.scope, "brand.test");
}

TEST(SharedSuppressionText, AMessageFromAnotherNodeIsReadAndOurOwnIsNot) {
    const Change added{.entry = {.address = "a@example.net", .scope = "*", .created = 5}};
    const std::string message = change_message("node-a", {shared_change(added, 9)});
    EXPECT_EQ(read_message(message, "node-b").size(), 1u);
    EXPECT_TRUE(read_message(message, "node-a").empty());
    for (const char* garbage :
         {"", "not json", "[]", R"({"node":"x"})", R"({"node":"x","changes":[1,{"field":2}]})",
          R"({"node":"x","changes":[{"field":"nospace","value":"{}"}]})",
          R"({"node":"x","changes":[{"field":"* a@b","value":"{\"reason\":1}"}]})"}) {
        EXPECT_TRUE(read_message(garbage, "node-b").empty()) << garbage;
    }
}

TEST(SharedSuppressionText, AMergeRequestIsForTheNodeItNames) {
    const std::string request = merge_request("node-a");
    EXPECT_TRUE(asks_to_merge(request, "node-a"));
    EXPECT_FALSE(asks_to_merge(request, "node-b"));
    EXPECT_TRUE(read_message(request, "node-b").empty());  // not a change either
    const Change added{.entry = {.address = "a@example.net", .scope = "*", .created = 5}};
    EXPECT_FALSE(asks_to_merge(change_message("node-a", {shared_change(added, 9)}), "node-a"));
    for (const char* garbage : {"", "not json", "[]", R"({"merge":1})", R"({"merge":null})"}) {
        EXPECT_FALSE(asks_to_merge(garbage, "node-a")) << garbage;
    }
}

TEST(SharedShapingText, AReactionRoundTrips) {
    SharedReaction reaction{.source = "192.0.2.10",
                            .provider = "yahoo",
                            .rule = "yahoo-tss04",
                            .rate = 120.5,
                            .ceiling = 600,
                            .connections = 2,
                            .connections_ceiling = 5,
                            .suspended_until = delivery::TrafficShaper::Clock::time_point(
                                std::chrono::seconds(1700003600))};
    auto read = read_reaction(reaction_json(reaction, "node-a", 1700000000));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->node, "node-a");
    EXPECT_EQ(read->at, 1700000000);
    EXPECT_EQ(read->reaction.rate, 120.5);
    EXPECT_EQ(read->reaction.connections, 2u);
    EXPECT_EQ(read->reaction.suspended_until, reaction.suspended_until);
    EXPECT_FALSE(read_reaction(R"({"node":"a"})"));
    EXPECT_FALSE(read_reaction("{"));
}

}  // namespace
}  // namespace herald::state
