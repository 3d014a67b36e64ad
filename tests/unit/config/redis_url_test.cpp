#include "config/redis_url.hpp"

#include <gtest/gtest.h>

namespace herald::config {
namespace {

TEST(RedisUrl, ReadsHostPortAndDatabase) {
    auto url = parse_redis_url("redis://redis.internal:6380/3");
    ASSERT_TRUE(url) << url.error();
    EXPECT_FALSE(url->tls);
    EXPECT_EQ(url->host, "redis.internal");
    EXPECT_EQ(url->port, 6380);
    EXPECT_EQ(url->db, 3u);
    EXPECT_TRUE(url->user.empty());
    EXPECT_TRUE(url->password.empty());
}

TEST(RedisUrl, DefaultsToPort6379AndDatabase0) {
    auto url = parse_redis_url("rediss://10.0.0.5");
    ASSERT_TRUE(url) << url.error();
    EXPECT_TRUE(url->tls);
    EXPECT_EQ(url->port, 6379);
    EXPECT_EQ(url->db, 0u);
}

TEST(RedisUrl, ReadsAnAclUserAndAPercentEncodedPassword) {
    auto url = parse_redis_url("redis://herald:p%40ss%3Aword@[::1]:7000/1");
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->user, "herald");
    EXPECT_EQ(url->password, "p@ss:word");
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 7000);
}

TEST(RedisUrl, APasswordAloneIsForTheDefaultUser) {
    auto url = parse_redis_url("redis://:secret@localhost");
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->user, "");
    EXPECT_EQ(url->password, "secret");
    auto bare = parse_redis_url("redis://secret@localhost");
    ASSERT_TRUE(bare) << bare.error();
    EXPECT_EQ(bare->password, "secret");
}

TEST(RedisUrl, TheRedactedFormHidesThePassword) {
    auto url = parse_redis_url("redis://herald:hunter2@localhost:6379/2");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->redacted(), "redis://herald:***@localhost:6379/2");
    auto v6 = parse_redis_url("rediss://:hunter2@[::1]");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->redacted(), "rediss://***@[::1]:6379/0");
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrl) {
    for (const char* bad :
         {"http://localhost", "redis://", "redis://host:0", "redis://host:70000",
          "redis://host:port", "redis://host/db", "redis://[::1", "redis://a%zz@host",
          "redis://a b@host", "redis://:x@", "redis://ho st", "redis://host#master",
          "redis-sentinel://host:26379", "redis-sentinel://host#", "redis-sentinel://#m",
          "redis-sentinel://a,,b#m", "redis-sentinel://a:0#m", "redis-sentinel://a/x#m"}) {
        EXPECT_FALSE(parse_redis_url(bad)) << bad;
    }
}

TEST(RedisUrl, ReadsSentinelsAndTheMasterTheyMonitor) {
    auto url = parse_redis_url("redis-sentinel://herald:pw@10.0.0.1,10.0.0.2:26380,[::1]/2#mail");
    ASSERT_TRUE(url) << url.error();
    EXPECT_TRUE(url->uses_sentinels());
    EXPECT_FALSE(url->tls);
    ASSERT_EQ(url->sentinels.size(), 3u);
    EXPECT_EQ(url->sentinels[0], (RedisEndpoint{"10.0.0.1", 26379}));
    EXPECT_EQ(url->sentinels[1], (RedisEndpoint{"10.0.0.2", 26380}));
    EXPECT_EQ(url->sentinels[2], (RedisEndpoint{"::1", 26379}));
    EXPECT_EQ(url->master, "mail");
    EXPECT_EQ(url->db, 2u);
    EXPECT_EQ(url->user, "herald");
    EXPECT_EQ(url->password, "pw");
    EXPECT_TRUE(url->host.empty());  // until a sentinel names the master
    EXPECT_EQ(url->redacted(),
              "redis-sentinel://herald:***@10.0.0.1:26379,10.0.0.2:26380,[::1]:26379/2#mail");
}

TEST(RedisUrl, SentinelsOverTls) {
    auto url = parse_redis_url("rediss-sentinel://sentinel.internal#herald");
    ASSERT_TRUE(url) << url.error();
    EXPECT_TRUE(url->tls);
    EXPECT_EQ(url->db, 0u);
    EXPECT_EQ(url->redacted(), "rediss-sentinel://sentinel.internal:26379/0#herald");
}

}  // namespace
}  // namespace herald::config
