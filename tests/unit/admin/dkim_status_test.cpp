// GET /api/dkim's answer: each key with its record, and the doctor's verdict on it.
#include "admin/dkim_status.hpp"

#include <gtest/gtest.h>

namespace herald::admin {
namespace {

DkimKeyStatus status(std::string domain) {
    return DkimKeyStatus{
        .key = {.domain = std::move(domain), .selector = "s1", .private_key = "keys/k.key"},
        .algorithm = "rsa-sha256",
        .record = "v=DKIM1; k=rsa; p=MIIB",
        .zone_line = "s1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; p=MIIB\" )",
        .error = "",
        .dns = std::nullopt};
}

TEST(DkimJson, GivesTheRecordAndTheDoctorsVerdict) {
    auto published = status("example.com");
    published.dns = doctor::Finding{doctor::Finding::Level::pass, "dkim-key",
                                    "keys/k.key matches s1._domainkey.example.com"};
    auto json = dkim_json({published});
    ASSERT_EQ(json.size(), 1u);
    const auto& key = json[0].as_object();
    EXPECT_EQ(key.at("domain").as_string(), "example.com");
    EXPECT_EQ(key.at("selector").as_string(), "s1");
    EXPECT_EQ(key.at("private_key").as_string(), "keys/k.key");
    EXPECT_EQ(key.at("record").as_string(), "v=DKIM1; k=rsa; p=MIIB");
    EXPECT_NE(key.at("zone_line").as_string().find("IN TXT"), std::string::npos);
    EXPECT_EQ(key.at("dns").at("level").as_string(), "PASS");
    EXPECT_EQ(key.at("dns").at("check").as_string(), "dkim-key");
}

TEST(DkimJson, AKeyOfEveryDomainHasNoSingleVerdict) {
    auto json = dkim_json({status("*")});
    EXPECT_TRUE(json[0].at("dns").is_null());
}

TEST(DkimJson, AnUnreadableKeySaysWhy) {
    auto broken = status("example.com");
    broken.algorithm = broken.record = broken.zone_line = "";
    broken.error = "keys/k.key: No such file or directory";
    auto json = dkim_json({broken});
    EXPECT_EQ(json[0].at("error").as_string(), "keys/k.key: No such file or directory");
    EXPECT_EQ(json[0].at("record").as_string(), "");
}

}  // namespace
}  // namespace herald::admin
