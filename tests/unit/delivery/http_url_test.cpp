#include "delivery/transports/http_url.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

TEST(HttpUrl, TakesAnHttpUrlApart) {
    auto url = HttpUrl::parse("http://api.example:8080/v1/mail?key=abc#frag");
    ASSERT_TRUE(url) << url.error();
    EXPECT_FALSE(url->tls);
    EXPECT_EQ(url->host, "api.example");
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->target, "/v1/mail?key=abc");
    EXPECT_EQ(url->authority(), "api.example:8080");
    EXPECT_EQ(url->host_header(), "api.example:8080");
}

TEST(HttpUrl, UsesTheSchemesDefaultPortAndRootPath) {
    auto url = HttpUrl::parse("HTTPS://api.example");
    ASSERT_TRUE(url) << url.error();
    EXPECT_TRUE(url->tls);
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->target, "/");
    EXPECT_EQ(url->host_header(), "api.example");
    EXPECT_EQ(url->authority(), "api.example:443");
    EXPECT_EQ(HttpUrl::parse("http://h?x=1")->target, "/?x=1");
    EXPECT_EQ(HttpUrl::parse("http://h:/p")->port, 80);
}

TEST(HttpUrl, AcceptsIpv6Literals) {
    auto url = HttpUrl::parse("http://[::1]:8025/mail");
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->authority(), "[::1]:8025");
    EXPECT_EQ(url->host_header(), "[::1]:8025");
}

TEST(HttpUrl, RejectsWhatCannotBePostedTo) {
    for (const char* bad :
         {"ftp://h/", "http://", "http:///path", "http://user:pw@h/", "http://h:0/",
          "http://h:65536/", "http://h:80x/", "http://[::1/", "http://[nothost]/", "http://[::1]x/",
          "http://h%41/", "http://h/a b", "http://h/\xc3\xa9", "http://h/\r\nX: 1"}) {
        EXPECT_FALSE(HttpUrl::parse(bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::delivery
