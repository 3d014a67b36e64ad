#include "state/redis_protocol.hpp"

#include <gtest/gtest.h>

namespace herald::state {
namespace {

TEST(RedisProtocol, EncodesEveryArgumentAsABulkString) {
    EXPECT_EQ(encode_command({"SET", "a key", "line\r\nbreak"}),
              "*3\r\n$3\r\nSET\r\n$5\r\na key\r\n$11\r\nline\r\nbreak\r\n");
    EXPECT_EQ(encode_command({"PING"}), "*1\r\n$4\r\nPING\r\n");
}

TEST(RedisProtocol, ReadsRepliesSplitAnywhere) {
    RedisReplyReader reader;
    const std::string bytes =
        "+OK\r\n:42\r\n$5\r\nhello\r\n$-1\r\n-ERR no\r\n*2\r\n:1\r\n$1\r\nx\r\n";
    std::vector<RedisValue> values;
    for (char c : bytes) {
        ASSERT_TRUE(reader.feed(std::string_view(&c, 1)));
        auto value = reader.next();
        ASSERT_TRUE(value);
        if (*value) values.push_back(**value);
    }
    ASSERT_EQ(values.size(), 6u);
    EXPECT_EQ(values[0].type, RedisValue::Type::status);
    EXPECT_EQ(values[0].text, "OK");
    EXPECT_EQ(values[1].integer, 42);
    EXPECT_EQ(values[2].text, "hello");
    EXPECT_TRUE(values[3].is_nil());
    EXPECT_TRUE(values[4].is_error());
    EXPECT_EQ(describe(values[4]), "(error) ERR no");
    ASSERT_EQ(values[5].elements.size(), 2u);
    EXPECT_EQ(values[5].elements[1].text, "x");
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(RedisProtocol, KeepsBinaryBytes) {
    RedisReplyReader reader;
    ASSERT_TRUE(reader.feed(std::string("$3\r\na\0b\r\n", 9)));
    auto value = reader.next();
    ASSERT_TRUE(value && *value);
    EXPECT_EQ((*value)->text, std::string("a\0b", 3));
}

TEST(RedisProtocol, SaysWhenTheBytesAreNotRedis) {
    RedisReplyReader reader;
    (void)reader.feed("HTTP/1.1 400 Bad Request\r\n");
    auto value = reader.next();
    ASSERT_FALSE(value);
    EXPECT_NE(value.error().find("not a Redis reply"), std::string::npos) << value.error();
}

TEST(RedisProtocol, AnIncompleteReplyWaitsAndCountsItsBytes) {
    RedisReplyReader reader;
    ASSERT_TRUE(reader.feed("$100\r\nabc"));
    auto value = reader.next();
    ASSERT_TRUE(value);
    EXPECT_FALSE(*value);
    EXPECT_GT(reader.buffered(), 0u);
}

}  // namespace
}  // namespace herald::state
