#include "message/list_id.hpp"

#include <gtest/gtest.h>

namespace herald::message {
namespace {

TEST(ListIdOf, TakesTheIdInAngleBrackets) {
    EXPECT_EQ(list_id_of(HeaderBlock::parse("List-Id: News <news.example.com>\r\n\r\n")),
              "news.example.com");
    EXPECT_EQ(list_id_of(HeaderBlock::parse("List-Id: plain.example.com\r\n\r\n")),
              "plain.example.com");
    EXPECT_EQ(list_id_of(HeaderBlock::parse("Subject: x\r\n\r\n")), "");
}

}  // namespace
}  // namespace herald::message
