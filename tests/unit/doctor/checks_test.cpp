#include "doctor/checks.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "dns/fixture_resolver.hpp"

namespace herald::doctor {
namespace {

using Level = Finding::Level;

// A 2048-bit RSA public key and a 1024-bit one (base64 SubjectPublicKeyInfo).
constexpr const char* kRsa2048 =
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkOMutdk/jNa25ZXK2tAXY2PyPzDXLqHoC0Ld1ZCCERSByDQC9"
    "AoDHeloEWbpdBPbZzrRz4pOKht25pvNLW+0/svpGccWUMTFHoEGvkxG32fI+lrbykpzyUtQ2sSMjgwrf+75KNhvq5Qfn"
    "YmkCA8rIJYf3eJYX/8iRxI3wblXMPe/iPxlmnPwcgHJ0kJtKhEAj8fTo1s9UKoscZ01jXl0ikL6Vh8b1nBocYDYGA9NF"
    "37uLCUpveMAZdx0gWpl4HN3TUHCXb+3XQEBdFlbj3CSQl+4kFqwxRECuik5+Xe/B2A02XtSbBKBVUri0MW4Ps8gAWtZ2"
    "O7TiflLKgtceSew5wIDAQAB";
constexpr const char* kRsa1024 =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOC"
    "KG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGj"
    "aNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

std::vector<Finding> run(const std::string& yaml, DoctorInput input) {
    auto resolver = dns::FixtureResolver::from_yaml(YAML::Load(yaml));
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, run_doctor(*resolver, input), boost::asio::use_future);
    io.run();
    return future.get();
}

const Finding* find(const std::vector<Finding>& all, const std::string& check) {
    for (const auto& f : all) {
        if (f.check == check) return &f;
    }
    return nullptr;
}

std::string well_configured(const std::string& spf, const std::string& dkim = kRsa2048) {
    return "example.com:\n"
           "  - TXT: \"" +
           spf +
           "\"\n"
           "  - MX: [10, mx.example.com]\n"
           "s1._domainkey.example.com:\n"
           "  - TXT: \"v=DKIM1; k=rsa; p=" +
           dkim +
           "\"\n"
           "_dmarc.example.com:\n"
           "  - TXT: \"v=DMARC1; p=reject\"\n"
           "10.2.0.192.in-addr.arpa:\n"
           "  - PTR: mail.example.com\n"
           "mail.example.com:\n"
           "  - A: 192.0.2.10\n"
           "10.2.0.192.bl.example:\n"
           "  - TXT: NONE\n";
}

DoctorInput input() {
    return {.domain = "example.com",
            .ip = "192.0.2.10",
            .helo = "mail.example.com",
            .selector = "s1",
            .ip_lists = {"bl.example"}};
}

TEST(Doctor, PassesAWellConfiguredDomain) {
    auto all = run(well_configured("v=spf1 ip4:192.0.2.10 -all"), input());
    for (const auto& f : all) EXPECT_EQ(f.level, Level::pass) << f.check << ": " << f.detail;
    EXPECT_FALSE(any_failure(all));
    for (const char* check : {"spf", "spf-ip", "dkim", "dmarc", "mx", "fcrdns", "helo", "rbl"}) {
        EXPECT_NE(find(all, check), nullptr) << check;
    }
    EXPECT_EQ(to_text({all.front()}), "PASS spf: \"v=spf1 ip4:192.0.2.10 -all\"\n");
}

TEST(Doctor, FailsPlusAllAndSaysWhy) {
    auto all = run(well_configured("v=spf1 +all"), input());
    const Finding* spf = find(all, "spf");
    ASSERT_NE(spf, nullptr);
    EXPECT_EQ(spf->level, Level::fail);
    EXPECT_NE(spf->detail.find("anyone may send"), std::string::npos) << spf->detail;
}

TEST(Doctor, FailsAnIpThatSpfDoesNotCover) {
    auto all = run(well_configured("v=spf1 ip4:192.0.2.10 -all"),
                   {.domain = "example.com", .ip = "198.51.100.7", .selector = "s1"});
    const Finding* ip = find(all, "spf-ip");
    ASSERT_NE(ip, nullptr);
    EXPECT_EQ(ip->level, Level::fail);
    EXPECT_NE(ip->detail.find("Add ip4:198.51.100.7"), std::string::npos) << ip->detail;
}

TEST(Doctor, ProposesARecordWhenSpfOrDmarcIsMissing) {
    auto all = run("example.com:\n  - MX: [10, mx.example.com]\n", input());
    EXPECT_NE(find(all, "spf")->detail.find("v=spf1 ip4:192.0.2.10 -all"), std::string::npos);
    const Finding* dmarc = find(all, "dmarc");
    EXPECT_EQ(dmarc->level, Level::fail);
    EXPECT_NE(dmarc->detail.find("v=DMARC1; p=none"), std::string::npos) << dmarc->detail;
    EXPECT_EQ(find(all, "dkim")->level, Level::fail);
}

TEST(Doctor, WarnsOfAWeakRsaKeyAndOfDmarcThatOnlyMonitors) {
    std::string zone = well_configured("v=spf1 -all", kRsa1024);
    zone.replace(zone.find("p=reject"), 8, "p=none");
    auto all = run(zone, input());
    const Finding* dkim = find(all, "dkim");
    EXPECT_EQ(dkim->level, Level::warn);
    EXPECT_NE(dkim->detail.find("1024 bits"), std::string::npos) << dkim->detail;
    EXPECT_EQ(find(all, "dmarc")->level, Level::warn);
}

TEST(Doctor, SaysARecordWithABadPctStillAppliesAndWhatIsIgnored) {
    std::string zone = well_configured("v=spf1 ip4:192.0.2.10 -all");
    zone.replace(zone.find("p=reject"), 8, "p=reject; pct=150");
    const auto all = run(zone, input());
    const Finding* dmarc = find(all, "dmarc");
    ASSERT_NE(dmarc, nullptr);
    EXPECT_EQ(dmarc->level, Level::warn);
    EXPECT_NE(dmarc->detail.find("p=reject"), std::string::npos) << dmarc->detail;
    EXPECT_NE(dmarc->detail.find("bad pct: '150'"), std::string::npos) << dmarc->detail;
    EXPECT_EQ(dmarc->detail.find("receivers ignore it"), std::string::npos) << dmarc->detail;
}

TEST(Doctor, ReportsANullMx) {
    auto all = run("example.com:\n  - MX: [0, \"\"]\n", {.domain = "example.com"});
    const Finding* mx = find(all, "mx");
    ASSERT_NE(mx, nullptr);
    EXPECT_NE(mx->detail.find("null MX"), std::string::npos) << mx->detail;
}

TEST(Doctor, FailsAListedIpAndNamesTheList) {
    std::string zone = well_configured("v=spf1 ip4:192.0.2.10 -all");
    zone.replace(zone.find("  - TXT: NONE"), 13, "  - A: 127.0.0.2\n  - TXT: \"spam source\"");
    auto all = run(zone, input());
    const Finding* rbl = find(all, "rbl");
    ASSERT_NE(rbl, nullptr);
    EXPECT_EQ(rbl->level, Level::fail);
    EXPECT_EQ(rbl->detail.find("192.0.2.10 is listed on bl.example (127.0.0.2): spam source"), 0u)
        << rbl->detail;
}

TEST(Doctor, WarnsWhenAListRefusesTheResolver) {
    std::string zone = well_configured("v=spf1 ip4:192.0.2.10 -all");
    zone.replace(zone.find("  - TXT: NONE"), 13, "  - A: 127.255.255.254");
    auto all = run(zone, input());
    EXPECT_EQ(find(all, "rbl")->level, Level::warn);
    EXPECT_FALSE(any_failure(all));
}

TEST(Doctor, FailsAPtrThatDoesNotLeadBack) {
    std::string zone = well_configured("v=spf1 ip4:192.0.2.10 -all");
    zone.replace(zone.find("  - A: 192.0.2.10"), 17, "  - A: 192.0.2.99");
    auto all = run(zone, input());
    const Finding* fcrdns = find(all, "fcrdns");
    EXPECT_EQ(fcrdns->level, Level::fail);
    EXPECT_NE(fcrdns->detail.find("does not resolve back to 192.0.2.10"), std::string::npos)
        << fcrdns->detail;
    // HELO cannot equal an rDNS name that is not confirmed.
    EXPECT_EQ(find(all, "helo")->level, Level::warn);
}

TEST(Doctor, FailsAHeloThatIsNotTheRdnsName) {
    DoctorInput different = input();
    different.helo = "smtp.example.com";
    auto all = run(well_configured("v=spf1 ip4:192.0.2.10 -all"), different);
    const Finding* helo = find(all, "helo");
    EXPECT_EQ(helo->level, Level::fail);
    EXPECT_NE(helo->detail.find("hostname = \"mail.example.com\""), std::string::npos)
        << helo->detail;
}

TEST(Doctor, FailsAHeloThatIsNotAnFqdn) {
    DoctorInput bare = input();
    bare.helo = "localhost";
    bare.ip.clear();
    auto all = run(well_configured("v=spf1 ip4:192.0.2.10 -all"), bare);
    EXPECT_EQ(find(all, "helo")->level, Level::fail);
    EXPECT_EQ(find(all, "ip")->level, Level::warn);
    EXPECT_EQ(find(all, "fcrdns"), nullptr);
}

}  // namespace
}  // namespace herald::doctor
