#include "dns/resolver.hpp"

#include <gtest/gtest.h>

namespace herald::dns {
namespace {

TEST(Resolver, NamesEveryStatus) {
    EXPECT_EQ(to_string(Status::ok), "ok");
    EXPECT_EQ(to_string(Status::nxdomain), "nxdomain");
    EXPECT_EQ(to_string(Status::nodata), "nodata");
    EXPECT_EQ(to_string(Status::servfail), "servfail");
    EXPECT_EQ(to_string(Status::timeout), "timeout");
    EXPECT_EQ(to_string(Status::error), "error");
}

TEST(Resolver, TreatsOnlyServfailAndTimeoutAsTemporary) {
    Answer<std::string> answer;
    for (auto status : {Status::ok, Status::nxdomain, Status::nodata, Status::error}) {
        answer.status = status;
        EXPECT_FALSE(answer.temporary()) << to_string(status);
    }
    for (auto status : {Status::servfail, Status::timeout}) {
        answer.status = status;
        EXPECT_TRUE(answer.temporary()) << to_string(status);
    }
}

}  // namespace
}  // namespace herald::dns
