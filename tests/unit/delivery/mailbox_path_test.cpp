#include "delivery/transports/mailbox_path.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

TEST(MailboxPath, PutsTheLowerCasedLocalPartInPlaceOfUser) {
    auto path = MailboxPath("var/mail/{user}").for_recipient("Alice.Smith+news@Example.COM");
    ASSERT_TRUE(path.ok()) << path.error();
    EXPECT_EQ(*path, "var/mail/alice.smith+news");
}

TEST(MailboxPath, PutsTheLowerCasedDomainInPlaceOfDomain) {
    auto path = MailboxPath("/srv/mail/{domain}/{user}/Maildir").for_recipient("Bob@Example.COM");
    ASSERT_TRUE(path.ok()) << path.error();
    EXPECT_EQ(*path, "/srv/mail/example.com/bob/Maildir");
}

TEST(MailboxPath, ReplacesEveryOccurrence) {
    auto path = MailboxPath("m/{user}/{user}.box").for_recipient("x@y");
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(*path, "m/x/x.box");
}

TEST(MailboxPath, IgnoresTheDomainWhenTheTemplateDoesNotUseIt) {
    auto path = MailboxPath("var/mail/{user}").for_recipient("carol@[192.0.2.1]");
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(*path, "var/mail/carol");
}

TEST(MailboxPath, AcceptsARecipientWithoutDomain) {
    auto path = MailboxPath("var/mail/{user}").for_recipient("Postmaster");
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(*path, "var/mail/postmaster");
}

TEST(MailboxPath, RejectsLocalPartsThatWouldEscapeTheMailDirectory) {
    MailboxPath template_path("var/mail/{user}");
    for (const char* hostile :
         {"../etc/passwd@example.com", "..@example.com", ".@example.com", "@example.com",
          "a/b@example.com", ".hidden@example.com", "a..b@example.com", "\"a b\"@example.com",
          "a\nb@example.com", "a b@example.com", "us\xc3\xa9r@example.com", "a%b@example.com",
          "a!b@example.com", "~root@example.com"}) {
        EXPECT_FALSE(template_path.for_recipient(hostile).ok()) << hostile;
    }
}

TEST(MailboxPath, RejectsAnEmbeddedNul) {
    using namespace std::string_view_literals;
    EXPECT_FALSE(MailboxPath("m/{user}").for_recipient("a\0b@example.com"sv).ok());
}

TEST(MailboxPath, RejectsUnsafeDomainsOnlyWhenTheTemplateUsesThem) {
    EXPECT_FALSE(MailboxPath("m/{domain}/{user}").for_recipient("a@../x").ok());
    EXPECT_FALSE(MailboxPath("m/{domain}/{user}").for_recipient("a@[192.0.2.1]").ok());
    EXPECT_FALSE(MailboxPath("m/{domain}/{user}").for_recipient("a").ok());
    EXPECT_TRUE(MailboxPath("m/{user}").for_recipient("a@../x").ok());
}

TEST(MailboxPath, RejectsAnOverlongLocalPart) {
    EXPECT_FALSE(MailboxPath("m/{user}").for_recipient(std::string(65, 'a') + "@x").ok());
    EXPECT_TRUE(MailboxPath("m/{user}").for_recipient(std::string(64, 'a') + "@x").ok());
}

TEST(MailboxPath, AcceptsEveryAllowedCharacter) {
    EXPECT_TRUE(is_safe_mailbox_name("Az09._+-"));
    EXPECT_TRUE(is_safe_mailbox_name("trailing."));
    EXPECT_FALSE(is_safe_mailbox_name(""));
}

}  // namespace
}  // namespace herald::delivery
