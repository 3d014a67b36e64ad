#include "message/received_header.hpp"

#include <gtest/gtest.h>

#include "base/timestamp.hpp"

namespace herald::message {
namespace {

ReceivedHeader sample() {
    ReceivedHeader r;
    r.helo = "client.example";
    r.client_reverse_name = "host.client.example";
    r.client_ip = "192.0.2.7";
    r.hostname = "mx.herald.test";
    r.protocol = "esmtps";
    r.queue_id = "1AbC";
    r.recipient = "b@y.example";
    r.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    return r;
}

TEST(ReceivedHeader, NamesClientServerProtocolIdRecipientAndDate) {
    EXPECT_EQ(sample().field(),
              "Received: from client.example (host.client.example [192.0.2.7])\r\n"
              "\tby mx.herald.test (Herald) with ESMTPS id 1AbC for <b@y.example>;\r\n"
              "\tTue, 14 Nov 2023 22:13:20 +0000\r\n");
}

TEST(ReceivedHeader, KeepsEveryLineWithin78Characters) {
    ReceivedHeader r = sample();
    r.helo = "a-rather-long-helo-name.subdomain.client.example";
    const std::string field = r.field();
    std::size_t start = 0;
    while (start < field.size()) {
        std::size_t end = field.find("\r\n", start);
        EXPECT_LE(end - start, 78u) << field;
        start = end + 2;
    }
    EXPECT_TRUE(field.ends_with("+0000\r\n"));
}

TEST(ReceivedHeader, LeavesOutTheClientWhenMasked) {
    ReceivedHeader r = sample();
    r.mask_client = true;
    r.protocol = "esmtpsa";
    const std::string field = r.field();
    EXPECT_TRUE(field.starts_with("Received: by mx.herald.test (Herald) with ESMTPSA id 1AbC"))
        << field;
    EXPECT_EQ(field.find("192.0.2.7"), std::string::npos);
    EXPECT_EQ(field.find("client.example"), std::string::npos);
}

TEST(ReceivedHeader, OmitsRecipientWhenNotSingle) {
    ReceivedHeader r = sample();
    r.recipient.clear();
    EXPECT_EQ(r.field().find("for <"), std::string::npos);
    EXPECT_NE(r.field().find("id 1AbC;"), std::string::npos);
}

TEST(ReceivedHeader, TagsIpv6AndShowsUnknownReverseName) {
    ReceivedHeader r = sample();
    r.client_ip = "2001:db8::7";
    r.client_reverse_name.clear();
    EXPECT_NE(r.field().find("from client.example ([IPv6:2001:db8::7])"), std::string::npos);
}

TEST(ReceivedHeader, CannotBeBrokenByTheClientsHeloName) {
    ReceivedHeader r = sample();
    r.helo = "evil\r\nBcc: x@y (a)";
    const std::string field = r.field();
    EXPECT_EQ(field.find("\r\nBcc"), std::string::npos);
    EXPECT_EQ(field.find("(a)"), std::string::npos);
}

TEST(ReceivedHeader, DescribesLocalInjection) {
    ReceivedHeader r = sample();
    r.helo.clear();
    r.client_ip.clear();
    r.client_reverse_name.clear();
    r.protocol = "local";
    EXPECT_TRUE(r.field().starts_with("Received: by mx.herald.test (Herald) with local id 1AbC"));
}

}  // namespace
}  // namespace herald::message
