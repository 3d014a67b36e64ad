#include "log/summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "generated_log.hpp"
#include "log/log_reader.hpp"
#include "log/main_log.hpp"
#include "log_test_support.hpp"

namespace herald::log {
namespace {

std::string arrival(int at, std::string_view id, std::string_view sender, int recipients,
                    std::string_view ip = "192.0.2.1", std::string_view user = "") {
    return fmt::format("{} {} <= {} H=client.example [{}] P=esmtp S=100{} R={} T=\"hi\"",
                       log_ts(at), id, sender, ip, user.empty() ? "" : " A=" + std::string(user),
                       recipients);
}

std::string outcome(int at, std::string_view id, std::string_view mark, std::string_view rcpt) {
    return fmt::format("{} {} {} {} T=mx H=mx.example.net \"reply\"", log_ts(at), id, mark, rcpt);
}

std::string completed(int at, std::string_view id) {
    return fmt::format("{} {} Completed", log_ts(at), id);
}

SummaryReport summarize(const std::vector<std::string>& lines, SummaryOptions options = {}) {
    Summary summary(std::move(options));
    for (const auto& line : lines) summary.add(line);
    return summary.report();
}

const SummaryRow* row(const std::vector<SummaryRow>& rows, std::string_view name) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.name == name; });
    return it == rows.end() ? nullptr : &*it;
}

bool has_flag(const SummaryRow& r, std::string_view flag) {
    return std::find(r.flags.begin(), r.flags.end(), flag) != r.flags.end();
}

std::vector<std::string> small_log() {
    return {
        arrival(0, "m1", "alice@example.com", 2, "192.0.2.1", "alice"),
        outcome(1, "m1", "=>", "bob@example.net"),
        outcome(1, "m1", "==", "carol@example.org"),
        outcome(60, "m1", "=>", "carol@example.org"),
        completed(60, "m1"),
        arrival(2, "m2", "alice@example.com", 1, "192.0.2.1", "alice"),
        outcome(3, "m2", "**", "nobody@example.net"),
        completed(3, "m2"),
        arrival(4, "m3", "<>", 1, "192.0.2.9"),
        outcome(5, "m3", "=>", "alice@example.com"),
        completed(5, "m3"),
        arrival(6, "m4", "bob@Example.COM", 3, "198.51.100.4"),
    };
}

TEST(Summary, CountsMessagesRecipientsAndOutcomesPerSender) {
    auto report = summarize(small_log());
    ASSERT_EQ(report.senders.size(), 3u);
    const auto* alice = row(report.senders, "alice@example.com");
    ASSERT_NE(alice, nullptr);
    EXPECT_EQ(alice->counts.messages, 2u);
    EXPECT_EQ(alice->counts.recipients, 3u);
    EXPECT_EQ(alice->counts.delivered, 2u);
    EXPECT_EQ(alice->counts.deferred, 1u);
    EXPECT_EQ(alice->counts.bounced, 1u);
    EXPECT_EQ(alice->distinct_recipients, 3u);
    const auto* bounces = row(report.senders, "<>");
    ASSERT_NE(bounces, nullptr);
    EXPECT_EQ(bounces->counts.delivered, 1u);
    EXPECT_EQ(report.total.messages, 4u);
    EXPECT_EQ(report.total.recipients, 7u);
    EXPECT_EQ(report.total.delivered, 3u);
    EXPECT_EQ(report.total.deferred, 1u);
    EXPECT_EQ(report.total.bounced, 1u);
}

TEST(Summary, CountsDeferralsAndBouncesPerCauseMostFirst) {
    const std::vector<std::string> lines = {
        arrival(0, "m1", "news@brand.test", 3),
        fmt::format("{} m1 == r1@gmail.test T=mx H=mx.test defer=\"421 4.7.27 SPF\" cause=spf",
                    log_ts(1)),
        fmt::format("{} m1 ** r2@gmail.test T=mx H=mx.test \"550 5.7.27 SPF\" "
                    "category=policy-related cause=spf",
                    log_ts(1)),
        fmt::format("{} m1 ** r3@gmail.test T=mx H=mx.test \"550 5.7.25 PTR\" "
                    "category=policy-related cause=reverse-dns",
                    log_ts(1)),
        // No cause, or a "cause=" inside the quoted reply: not counted.
        fmt::format("{} m1 ** r4@x.test T=mx H=mx.test \"550 cause=spf\" category=other",
                    log_ts(1)),
        fmt::format("{} m1 => r5@x.test T=mx H=mx.test C=\"250 ok cause=spf\"", log_ts(1)),
        // A message that arrived before --since is not counted.
        fmt::format("{} m0 == r1@gmail.test T=mx defer=\"421\" cause=dkim", log_ts(2)),
    };
    const auto report = summarize(lines);
    ASSERT_EQ(report.causes.size(), 2u);
    EXPECT_EQ(report.causes[0], (std::pair<std::string, std::uint64_t>{"spf", 2}));
    EXPECT_EQ(report.causes[1], (std::pair<std::string, std::uint64_t>{"reverse-dns", 1}));
}

TEST(Summary, KeepsTheLatestExplanationPerCauseAndTheVerdictsPerDomain) {
    const std::vector<std::string> lines = {
        fmt::format("{} m1 explain <a@gmail.test> spf: SPF did not pass; now: FAIL spf: old",
                    log_ts(1)),
        fmt::format("{} m2 explain <b@gmail.test> \"spf: SPF did not pass; now: FAIL spf: "
                    "\\\"v=spf1 -all\\\"; fix: add it\"",
                    log_ts(2)),
        fmt::format("{} m2 explain <b@gmail.test> reverse-dns: no PTR; fix: set it", log_ts(3)),
        fmt::format("{} m3 compliance brand.test: PASS authentication; FAIL tls (none)", log_ts(4)),
        fmt::format("{} m4 compliance brand.test: PASS authentication; PASS tls", log_ts(5)),
        fmt::format("{} m5 compliance other.test: FAIL dmarc-record (no record)", log_ts(6)),
        fmt::format("{} m6 preflight dmarc=pass spf=pass", log_ts(7)),
    };
    const auto report = summarize(lines);
    ASSERT_EQ(report.explanations.size(), 2u);
    EXPECT_EQ(report.explanations[0].first, "reverse-dns");
    EXPECT_EQ(report.explanations[1].first, "spf");
    EXPECT_EQ(report.explanations[1].second,
              "spf: SPF did not pass; now: FAIL spf: \"v=spf1 -all\"; fix: add it");
    ASSERT_EQ(report.compliance.size(), 2u);
    EXPECT_EQ(report.compliance[0].domain, "brand.test");
    EXPECT_EQ(report.compliance[0].judged, 2u);
    EXPECT_EQ(report.compliance[0].failing, 1u);
    EXPECT_EQ(report.compliance[0].latest, "PASS authentication; PASS tls");
    EXPECT_EQ(report.compliance[1].failing, 1u);
    // --since leaves out what came before.
    EXPECT_TRUE(summarize(lines, {.since = log_ts(8)}).compliance.empty());
}

TEST(Summary, SortsMostMessagesFirstThenMostRecipients) {
    auto report = summarize(small_log());
    ASSERT_EQ(report.senders.size(), 3u);
    EXPECT_EQ(report.senders[0].name, "alice@example.com");
    EXPECT_EQ(report.senders[1].name, "bob@Example.COM");  // 1 message, 3 recipients
    EXPECT_EQ(report.senders[2].name, "<>");
}

TEST(Summary, CountsPerAuthenticatedUserAndPerClientIp) {
    auto report = summarize(small_log());
    ASSERT_EQ(report.users.size(), 1u);
    EXPECT_EQ(report.users[0].name, "alice");
    EXPECT_EQ(report.users[0].counts.messages, 2u);
    EXPECT_EQ(report.users[0].counts.bounced, 1u);
    ASSERT_EQ(report.client_ips.size(), 3u);
    EXPECT_EQ(report.client_ips[0].name, "192.0.2.1");
    EXPECT_EQ(report.client_ips[0].counts.messages, 2u);
    EXPECT_EQ(report.client_ips[0].distinct_senders, 1u);
}

TEST(Summary, SinceLeavesOutEarlierMessagesAndTheirLaterLines) {
    SummaryOptions options;
    options.since = log_ts(2);
    auto report = summarize(small_log(), options);
    EXPECT_EQ(row(report.senders, "alice@example.com")->counts.messages, 1u);
    // m1's delivery at 60s is after `since` but m1 arrived before it.
    EXPECT_EQ(row(report.senders, "alice@example.com")->counts.delivered, 0u);
    EXPECT_EQ(report.total.messages, 3u);
}

TEST(Summary, SenderFilterTakesAnAddressADomainOrTheNullSender) {
    SummaryOptions exact;
    exact.sender = "<ALICE@example.com>";
    auto report = summarize(small_log(), exact);
    ASSERT_EQ(report.senders.size(), 1u);
    EXPECT_EQ(report.senders[0].name, "alice@example.com");
    EXPECT_EQ(report.total.delivered, 2u);

    SummaryOptions domain;
    domain.sender = "*@example.com";
    EXPECT_EQ(summarize(small_log(), domain).senders.size(), 2u);
    domain.sender = "@EXAMPLE.com";
    EXPECT_EQ(summarize(small_log(), domain).senders.size(), 2u);
    domain.sender = "*@ample.com";
    EXPECT_EQ(summarize(small_log(), domain).senders.size(), 0u);

    SummaryOptions null_sender;
    null_sender.sender = "<>";
    report = summarize(small_log(), null_sender);
    ASSERT_EQ(report.senders.size(), 1u);
    EXPECT_EQ(report.senders[0].name, "<>");
}

TEST(Summary, FlagsABurstFromACompromisedAccount) {
    std::vector<std::string> lines;
    for (int n = 0; n < 150; ++n) {
        auto id = "b" + std::to_string(n);
        auto sender = "victim" + std::to_string(n % 6) + "@example.com";
        lines.push_back(arrival(n * 10, id, sender, 1, "203.0.113.5", "victim"));
        lines.push_back(outcome(n * 10 + 1, id, n % 2 ? "**" : "=>",
                                "target" + std::to_string(n) + "@example.org"));
    }
    lines.push_back(arrival(0, "q1", "quiet@example.com", 1, "192.0.2.1", "quiet"));
    lines.push_back(outcome(1, "q1", "=>", "friend@example.org"));
    auto report = summarize(lines);
    ASSERT_FALSE(report.users.empty());
    const auto& victim = report.users[0];
    EXPECT_EQ(victim.name, "victim");
    EXPECT_EQ(victim.counts.messages, 150u);
    EXPECT_EQ(victim.peak_per_hour, 150u);
    EXPECT_EQ(victim.distinct_recipients, 150u);
    EXPECT_EQ(victim.distinct_senders, 6u);
    for (auto flag : {"burst", "many-recipients", "many-senders", "high-failure-rate"}) {
        EXPECT_TRUE(has_flag(victim, flag)) << flag;
    }
    const auto* quiet = row(report.users, "quiet");
    ASSERT_NE(quiet, nullptr);
    EXPECT_TRUE(quiet->flags.empty());
}

TEST(Summary, PeakPerHourCountsWithinOneClockHour) {
    std::vector<std::string> lines;
    for (int n = 0; n < 30; ++n)
        lines.push_back(arrival(n * 600, "h" + std::to_string(n), "a@x.example", 1));
    auto report = summarize(lines);
    ASSERT_EQ(report.senders.size(), 1u);
    EXPECT_EQ(report.senders[0].peak_per_hour, 6u);  // one every 10 minutes
}

TEST(Summary, ThresholdsAreTheCallersToChoose) {
    SummaryOptions options;
    options.thresholds.burst_per_hour = 2;
    auto report = summarize(small_log(), options);
    EXPECT_TRUE(has_flag(*row(report.senders, "alice@example.com"), "burst"));
    EXPECT_FALSE(has_flag(*row(report.senders, "<>"), "burst"));
}

TEST(Summary, ShowsQuotedValuesUnescaped) {
    auto report = summarize({
        "2026-11-22T00:00:00.000Z q1 <= \"odd sender\"@example.com [192.0.2.1] A=\"us er\" R=1",
        "2026-11-22T00:00:00.000Z q2 <= \"\\\"weird\\\" one\" [192.0.2.1] R=1",
    });
    ASSERT_EQ(report.senders.size(), 2u);
    EXPECT_NE(row(report.senders, "\"weird\" one"), nullptr);
    ASSERT_EQ(report.users.size(), 1u);
    EXPECT_EQ(report.users[0].name, "us er");
}

TEST(Summary, ReadsWhatTheMainLogWriterWrites) {
    TempLogDir dir;
    {
        auto log = MainLog::open(dir / "mainlog");
        ASSERT_TRUE(log);
        message::Envelope env;
        env.sender = "writer@example.com";
        env.recipients = {"r1@example.net", "r2@example.net"};
        env.client_ip = "2001:db8::1";
        env.auth_user = "writer";
        env.protocol = "esmtpsa";
        (*log)->arrival("w1", env, 1234, "a \"quoted\" subject\nwith a newline");
        (*log)->delivered("w1", "r1@example.net", "mx", "mx.example.net", "250 ok");
        (*log)->deferred("w1", "r2@example.net", "mx", "mx.example.net", "451 later");
        (*log)->event("w1", "<= looks like an arrival");
        (*log)->failed("w1", "r2@example.net", "mx", "mx.example.net", "550 no");
        (*log)->completed("w1");
        (*log)->note("herald started");
    }
    Summary summary({});
    LogReader reader({dir / "mainlog"});
    while (auto line = reader.next()) summary.add(*line);
    auto report = summary.report();
    ASSERT_EQ(report.senders.size(), 1u);
    const auto& r = report.senders[0];
    EXPECT_EQ(r.name, "writer@example.com");
    EXPECT_EQ(r.counts.messages, 1u);
    EXPECT_EQ(r.counts.recipients, 2u);
    EXPECT_EQ(r.counts.delivered, 1u);
    EXPECT_EQ(r.counts.deferred, 1u);
    EXPECT_EQ(r.counts.bounced, 1u);
    ASSERT_EQ(report.client_ips.size(), 1u);
    EXPECT_EQ(report.client_ips[0].name, "2001:db8::1");
    EXPECT_EQ(report.users[0].name, "writer");
    EXPECT_EQ(report.damaged_lines, 0u);
}

TEST(Summary, IgnoresOutcomesOfUnknownMessagesAndDamagedLines) {
    auto report = summarize({
        outcome(0, "ghost", "=>", "x@example.net"),
        "",
        "garbage",
        "2026-11-22T00:00:00.000Z id <= \"unterminated",
        completed(1, "never-arrived"),
    });
    EXPECT_EQ(report.total.messages, 0u);
    EXPECT_EQ(report.total.delivered, 0u);
    EXPECT_TRUE(report.senders.empty());
    EXPECT_EQ(report.damaged_lines, 3u);
}

TEST(Summary, OutcomesAfterCompletedNoLongerCount) {
    auto report = summarize({arrival(0, "c1", "a@x.example", 1), completed(1, "c1"),
                             outcome(2, "c1", "=>", "late@example.net")});
    EXPECT_EQ(report.total.delivered, 0u);
}

TEST(Summary, HostileLinesNeverCrashIt) {
    std::mt19937 rng(7);
    const std::string alphabet = "ab =\"\\[]<>*@R=A=x\r\n\x01\xff-0123456789";
    Summary summary({});
    for (int round = 0; round < 50000; ++round) {
        std::string line = log_ts(round % 100) + " id" + std::to_string(round % 5) + " ";
        if (round % 3 == 0) line += "<= ";
        auto length = rng() % 60;
        for (unsigned i = 0; i < length; ++i) line.push_back(alphabet[rng() % alphabet.size()]);
        summary.add(line);
    }
    auto report = summary.report();
    EXPECT_GE(report.total.messages, report.senders.empty() ? 0u : 1u);
}

TEST(Summary, TotalsOfAHundredThousandLineRotatedLogAreExact) {
    TempLogDir dir;
    auto log = generate_log(20000);
    ASSERT_EQ(log.lines.size(), 100000u);
    write_gzip_lines(dir / "mainlog.2.gz", log.lines, 0, 40000);
    write_lines(dir / "mainlog.1", log.lines, 40000, 80000);
    write_lines(dir / "mainlog", log.lines, 80000);
    Summary summary({});
    LogReader reader(log_generations(dir / "mainlog"));
    while (auto line = reader.next()) summary.add(*line);
    auto report = summary.report();
    EXPECT_EQ(report.total.messages, log.messages);
    EXPECT_EQ(report.total.recipients, log.recipients);
    EXPECT_EQ(report.total.delivered, log.delivered);
    EXPECT_EQ(report.total.deferred, log.deferred);
    EXPECT_EQ(report.total.bounced, log.bounced);
    EXPECT_EQ(report.senders.size(), 7u);
    EXPECT_EQ(report.users.size(), 4u);
    EXPECT_EQ(report.client_ips.size(), 13u);
    EXPECT_EQ(report.damaged_lines, 0u);
    std::uint64_t per_sender = 0;
    for (const auto& r : report.senders) per_sender += r.counts.messages;
    EXPECT_EQ(per_sender, log.messages);
    EXPECT_EQ(row(report.senders, "sender0@example.com")->counts.messages, log.sender0_messages);
    EXPECT_TRUE(std::is_sorted(
        report.senders.begin(), report.senders.end(),
        [](const auto& a, const auto& b) { return a.counts.messages > b.counts.messages; }));
}

}  // namespace
}  // namespace herald::log
