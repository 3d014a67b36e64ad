#include "message/dsn_request.hpp"

#include <gtest/gtest.h>

namespace herald::message {
namespace {

TEST(DsnRequest, XtextRoundTripsAndRefusesWhatIsNotXtext) {
    EXPECT_EQ(encode_xtext("bob+x=y@example.com"), "bob+2Bx+3Dy@example.com");
    EXPECT_EQ(encode_xtext("a b"), "a+20b");
    EXPECT_EQ(decode_xtext("bob+2Bx+3Dy@example.com"), "bob+x=y@example.com");
    EXPECT_EQ(decode_xtext(encode_xtext("\x01\xff id")), "\x01\xff id");
    EXPECT_FALSE(decode_xtext("a+2"));
    EXPECT_FALSE(decode_xtext("a+ZZ"));
    EXPECT_FALSE(decode_xtext("a=b"));
    EXPECT_FALSE(decode_xtext("a b"));
    EXPECT_FALSE(decode_xtext(std::string(501, 'x')));
}

TEST(DsnRequest, NotifyIsNeverOrAListWithoutRepeats) {
    EXPECT_EQ(parse_notify("NEVER"), std::uint8_t{0});
    EXPECT_EQ(parse_notify("success,Delay"), RecipientDsn::success | RecipientDsn::delay);
    EXPECT_FALSE(parse_notify("NEVER,SUCCESS"));
    EXPECT_FALSE(parse_notify("FAILURE,FAILURE"));
    EXPECT_FALSE(parse_notify(""));
    EXPECT_FALSE(parse_notify("SUCCESS,"));
    EXPECT_EQ(notify_text(RecipientDsn::failure | RecipientDsn::success), "SUCCESS,FAILURE");
    EXPECT_EQ(notify_text(0), "NEVER");
}

TEST(DsnRequest, WithoutNotifyFailuresAndDelaysAreReported) {
    const RecipientDsn unset;
    EXPECT_TRUE(unset.wants(RecipientDsn::failure));
    EXPECT_TRUE(unset.wants(RecipientDsn::delay));
    EXPECT_FALSE(unset.wants(RecipientDsn::success));
    const RecipientDsn never{.notify = 0};
    EXPECT_FALSE(never.wants(RecipientDsn::failure));
    const RecipientDsn success{.notify = RecipientDsn::success};
    EXPECT_TRUE(success.wants(RecipientDsn::success));
    EXPECT_FALSE(success.wants(RecipientDsn::failure));
}

TEST(DsnRequest, OrcptIsATypeAndAnXtextAddress) {
    EXPECT_EQ(parse_orcpt("rfc822;bob+2Bx@example.com"), "rfc822;bob+x@example.com");
    EXPECT_FALSE(parse_orcpt("bob@example.com"));
    EXPECT_FALSE(parse_orcpt(";bob@example.com"));
    EXPECT_FALSE(parse_orcpt("rfc822;"));
    EXPECT_FALSE(parse_orcpt("rfc 822;bob@example.com"));
    EXPECT_FALSE(parse_orcpt("rfc822;bob+0D+0A@example.com"));
}

TEST(DsnRequest, AnEnvelopeIdIsShortPrintableText) {
    EXPECT_EQ(parse_envelope_id("QQ+2B314"), "QQ+314");
    EXPECT_EQ(parse_envelope_id("a+20b"), "a b");
    EXPECT_FALSE(parse_envelope_id(""));
    EXPECT_FALSE(parse_envelope_id(std::string(101, 'x')));
    EXPECT_FALSE(parse_envelope_id("a+0Ab"));
    EXPECT_FALSE(parse_envelope_id("a+C3+A9"));
}

}  // namespace
}  // namespace herald::message
