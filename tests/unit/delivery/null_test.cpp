#include "delivery/transports/null.hpp"

#include <gtest/gtest.h>

#include "transport_test_support.hpp"

namespace herald::delivery {
namespace {

using testing::envelope_from;
using testing::run_delivery;

TEST(NullTransport, DeliversEveryRecipientAsDiscarded) {
    NullTransport transport("discard");
    auto envelope = envelope_from("a@x", {"b@y", "c@z"});
    Delivery delivery{"id1", envelope, {"b@y", "c@z"}, "Subject: x\r\n\r\nbody\r\n"};
    auto results = run_delivery(transport, delivery);
    ASSERT_EQ(results.size(), 2u);
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i].recipient, delivery.recipients[i]);
        EXPECT_EQ(results[i].outcome, RecipientResult::Outcome::delivered);
        EXPECT_EQ(results[i].detail, "discarded");
        EXPECT_EQ(results[i].remote_host, "");
    }
    EXPECT_EQ(transport.name(), "discard");
}

TEST(NullTransport, ReturnsNothingForNoRecipients) {
    NullTransport transport("discard");
    auto envelope = envelope_from("a@x", {});
    EXPECT_TRUE(run_delivery(transport, {"id1", envelope, {}, ""}).empty());
}

}  // namespace
}  // namespace herald::delivery
