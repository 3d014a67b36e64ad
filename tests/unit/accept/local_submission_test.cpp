#include "accept/local_submission.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herald::accept {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LocalRequest, RoundTripsThroughItsLine) {
    LocalRequest request{.sender = "cron@example.com",
                         .sender_given = true,
                         .recipients = {"a@example.net", "b"},
                         .full_name = "Cron \"Daemon\"\n"};
    const std::string line = encode_local_request(request);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line, whatever the values hold";
    auto parsed = parse_local_request(line);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->sender, "cron@example.com");
    EXPECT_TRUE(parsed->sender_given);
    EXPECT_THAT(parsed->recipients, ElementsAre("a@example.net", "b"));
    EXPECT_EQ(parsed->full_name, "Cron \"Daemon\"\n");
}

TEST(LocalRequest, CarriesTheDsnRequestOnlyWhenAsked) {
    LocalRequest request{.recipients = {"a@example.net"},
                         .dsn = {.notify = message::RecipientDsn::delay,
                                 .ret = message::DsnReturn::headers,
                                 .envelope_id = "id \"7\""}};
    auto parsed = parse_local_request(encode_local_request(request));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->dsn, request.dsn);
    const std::string plain = encode_local_request(LocalRequest{.recipients = {"a@b"}});
    EXPECT_EQ(plain.find("notify"), std::string::npos) << plain;
    EXPECT_EQ(parse_local_request(plain)->dsn, message::MessageDsn{});
}

TEST(LocalRequest, RefusesDsnValuesSmtpWouldRefuse) {
    for (const char* bad :
         {R"({"recipients": [], "notify": "NEVER,DELAY"})", R"({"recipients": [], "notify": 4})",
          R"({"recipients": [], "ret": "X"})",
          R"({"recipients": [], "envid": "line
break"})"}) {
        EXPECT_FALSE(parse_local_request(bad)) << bad;
    }
}

TEST(LocalRequest, RefusesWhatIsNotARequest) {
    for (const char* bad :
         {"", "not json", "[]", "{}", R"({"recipients": "a@b"})", R"({"recipients": [1]})",
          R"({"recipients": [], "sender": 5})", R"({"recipients": [], "sender_given": "yes"})"}) {
        EXPECT_FALSE(parse_local_request(bad)) << bad;
    }
    EXPECT_TRUE(parse_local_request(R"({"recipients": []})"));
}

TEST(LocalReply, RoundTripsCodeEnhancedCodeAndText) {
    auto parsed = parse_local_reply(
        encode_local_reply(smtp::Reply(550, "5.7.1", "recipient <x@y>: Relay access denied")));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->code, 550);
    EXPECT_EQ(parsed->enhanced, "5.7.1");
    EXPECT_EQ(parsed->summary(), "550 5.7.1 recipient <x@y>: Relay access denied");
}

TEST(LocalReply, KeepsAMultiLineReplyOnOneLine) {
    const std::string line = encode_local_reply(
        smtp::Reply(451, "4.3.0", std::vector<std::string>{"one", "two\r\nthree"}));
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_THAT(line, HasSubstr("one two  three"));
}

TEST(LocalReply, RefusesWhatIsNotAReply) {
    for (const char* bad : {"", "ok", "99 x", "700 5.0.0 x", "250", "250x"}) {
        EXPECT_FALSE(parse_local_reply(bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::accept
