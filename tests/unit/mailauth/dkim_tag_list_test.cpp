#include "mailauth/dkim/tag_list.hpp"

#include <gtest/gtest.h>

#include "mailauth/dkim/key_record.hpp"

namespace {

using herald::mailauth::dkim::parse_key_record;
using herald::mailauth::dkim::TagList;

TEST(DkimTagList, ParsesTagsWithFoldingWhitespaceAndTrailingSemicolon) {
    auto tags = TagList::parse(" v = 1 ;\r\n a=rsa-sha256;\tb=ab\r\n cd ;");
    ASSERT_TRUE(tags.ok()) << tags.error();
    ASSERT_EQ(tags->tags().size(), 3u);
    EXPECT_EQ(tags->find("v")->value, "1");
    EXPECT_EQ(tags->find("b")->value, "ab\r\n cd");
    EXPECT_EQ(tags->find("x"), nullptr);
}

TEST(DkimTagList, RefusesMalformedLists) {
    EXPECT_FALSE(TagList::parse("v=1; v=1").ok());      // repeated
    EXPECT_FALSE(TagList::parse("v=1; novalue").ok());  // no '='
    EXPECT_FALSE(TagList::parse("1v=1").ok());          // name starts with a digit
    EXPECT_FALSE(TagList::parse("v=1;; a=b").ok());     // empty tag in the middle
    EXPECT_FALSE(TagList::parse("v=a\x01"
                                "b")
                     .ok());  // control character
}

TEST(DkimTagList, SurvivesHostileInput) {
    for (std::string text :
         {std::string(100000, ';'), std::string(100000, '='), std::string("=;=;=;"),
          std::string(1, '\0'), std::string("a=\xff\xfe")}) {
        auto tags = TagList::parse(text);
        (void)tags;
    }
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "t" + std::to_string(i) + "=x;";
    EXPECT_TRUE(TagList::parse(many).ok());
}

TEST(DkimKeyRecord, ParsesTheFieldsVerifiersUse) {
    auto record = parse_key_record("v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; p=YWJj");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->key_type, "ed25519");
    EXPECT_EQ(record->public_key, "abc");
    EXPECT_TRUE(record->allows_sha256());
    EXPECT_TRUE(record->allows_email());
    EXPECT_TRUE(record->testing);
    EXPECT_TRUE(record->strict_identity);
}

TEST(DkimKeyRecord, DefaultsToRsaAndAnEmptyPIsARevokedKey) {
    auto record = parse_key_record("p=");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->key_type, "rsa");
    EXPECT_TRUE(record->revoked());
}

TEST(DkimKeyRecord, RefusesWhatIsNotADkimKey) {
    EXPECT_FALSE(parse_key_record("v=spf1 -all").ok());
    EXPECT_FALSE(parse_key_record("k=rsa; v=DKIM1; p=YWJj").ok());  // v= not first
    EXPECT_FALSE(parse_key_record("v=DKIM1; k=rsa").ok());          // no p=
    EXPECT_FALSE(parse_key_record("v=DKIM1; p=!!!!").ok());         // not base64
    auto sha1_only = parse_key_record("v=DKIM1; h=sha1; s=other; p=YWJj");
    ASSERT_TRUE(sha1_only.ok());
    EXPECT_FALSE(sha1_only->allows_sha256());
    EXPECT_FALSE(sha1_only->allows_email());
}

}  // namespace
