// Metrics fed through the real mainlog and rejectlog observers, and their exposition checked
// line by line against the Prometheus text format 0.0.4.
#include "admin/metrics.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "admin_test_support.hpp"

namespace herald::admin {
namespace {

// A family: its HELP and TYPE, and its samples by "name{labels}".
struct Family {
    std::string help;
    std::string type;
};
struct Exposition {
    std::map<std::string, Family> families;
    std::map<std::string, std::string> samples;  // "name{label=\"v\"}" -> value
    std::vector<std::string> problems;
};

// Enough of the format to catch what a renderer gets wrong: HELP and TYPE before a family's
// samples, sample names belonging to a declared family, label values quoted and escaped.
Exposition parse(const std::string& text) {
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
    static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
    // Labels: name="value", comma-separated.
    static const std::string label = R"([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")";
    static const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)" + label + "(?:," + label +
                                   R"()*\})? ([0-9]+))");
    Exposition out;
    if (!text.empty() && text.back() != '\n') out.problems.push_back("no final newline");
    std::istringstream in(text);
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (std::regex_match(line, m, help)) {
            out.families[m[1]].help = m[2];
        } else if (std::regex_match(line, m, type)) {
            if (out.families[m[1]].help.empty())
                out.problems.push_back("TYPE before HELP: " + line);
            out.families[m[1]].type = m[2];
        } else if (std::regex_match(line, m, sample)) {
            if (out.families[m[1]].type.empty()) out.problems.push_back("undeclared: " + line);
            out.samples[m[1].str() + m[2].str()] = m[3];
        } else {
            out.problems.push_back("bad line: " + line);
        }
    }
    return out;
}

class MetricsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto main = log::MainLog::open(dir_ / "mainlog");
        ASSERT_TRUE(main) << main.error();
        mainlog_ = std::move(*main);
        auto reject = log::RejectLog::open(dir_ / "rejectlog");
        ASSERT_TRUE(reject) << reject.error();
        rejectlog_ = std::move(*reject);
        mainlog_->set_observer([this](const log::MainLogEvent& e) { metrics_.observe(e); });
        rejectlog_->set_observer([this](const log::RejectLogEvent& e) { metrics_.observe(e); });
    }

    Exposition scrape() {
        auto exposition = parse(metrics_.render());
        EXPECT_TRUE(exposition.problems.empty()) << ::testing::PrintToString(exposition.problems);
        return exposition;
    }

    static message::Envelope envelope(std::string sender, std::string protocol) {
        message::Envelope e;
        e.sender = std::move(sender);
        e.recipients = {"rcpt@example.net"};
        e.protocol = std::move(protocol);
        return e;
    }

    TempDir dir_;
    std::unique_ptr<log::MainLog> mainlog_;
    std::unique_ptr<log::RejectLog> rejectlog_;
    Metrics metrics_{{"mx", "stuck"}};
};

TEST_F(MetricsTest, EveryFamilyHasHelpAndType) {
    auto x = scrape();
    for (const char* name :
         {"herald_messages_received_total", "herald_recipients_delivered_total",
          "herald_recipients_deferred_total", "herald_recipients_failed_total",
          "herald_bounces_total", "herald_smtp_rejections_total", "herald_queue_messages",
          "herald_queue_oldest_age_seconds", "herald_queue_recipients",
          "herald_queue_transport_messages", "herald_queue_transport_recipients",
          "herald_queue_transport_oldest_age_seconds", "herald_queue_destination_messages",
          "herald_queue_destination_recipients", "herald_queue_destination_oldest_age_seconds",
          "herald_smtp_connections", "herald_smtp_connections_total",
          "herald_dkim_signatures_total", "herald_rate_limit_hits_total"}) {
        ASSERT_TRUE(x.families.contains(name)) << name;
        EXPECT_FALSE(x.families[name].help.empty()) << name;
        bool counter = std::string_view(name).ends_with("_total");
        EXPECT_EQ(x.families[name].type, counter ? "counter" : "gauge") << name;
    }
}

TEST_F(MetricsTest, ConfiguredTransportsAndReasonsStartAtZero) {
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_recipients_delivered_total{transport=\"mx\"}"], "0");
    EXPECT_EQ(x.samples["herald_recipients_failed_total{transport=\"stuck\"}"], "0");
    for (auto reason : kRejectionReasons) {
        EXPECT_EQ(x.samples["herald_smtp_rejections_total{reason=\"" +
                            std::string(to_string(reason)) + "\"}"],
                  "0");
    }
}

TEST_F(MetricsTest, CountsArrivalsAndDeliveriesFromTheMainlog) {
    mainlog_->arrival("id1", envelope("a@client.example", "esmtp"), 100, "s");
    mainlog_->arrival("id2", envelope("b@client.example", "esmtp"), 100, "s");
    mainlog_->delivered("id1", "rcpt@example.net", "mx", "mx.example.net", "250 ok");
    mainlog_->deferred("id2", "rcpt@example.net", "mx", "mx.example.net", "451 later");
    mainlog_->deferred("id2", "rcpt@example.net", "mx", "mx.example.net", "451 later");
    mainlog_->failed("id2", "rcpt@example.net", "stuck", "", "550 no");
    mainlog_->completed("id1");
    mainlog_->note("herald started");
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_messages_received_total"], "2");
    EXPECT_EQ(x.samples["herald_recipients_delivered_total{transport=\"mx\"}"], "1");
    EXPECT_EQ(x.samples["herald_recipients_deferred_total{transport=\"mx\"}"], "2");
    EXPECT_EQ(x.samples["herald_recipients_failed_total{transport=\"stuck\"}"], "1");
    EXPECT_EQ(metrics_.transport("mx").deferred, 2u);
    EXPECT_EQ(metrics_.transport("unknown").delivered, 0u);
}

TEST_F(MetricsTest, FeedsTheConsolesHistoryFromTheSameEvents) {
    mainlog_->arrival("id1", envelope("a@client.example", "esmtp"), 100, "s");
    // Herald's own DSN is no mail received.
    mainlog_->arrival("id2", envelope("", "local"), 100, "s");
    mainlog_->delivered("id1", "rcpt@example.net", "mx", "mx.example.net", "250 ok");
    mainlog_->deferred("id1", "rcpt@example.net", "mx", "mx.example.net", "451 later");
    mainlog_->failed("id1", "rcpt@example.net", "mx", "", "550 no");
    mainlog_->note("herald started");
    auto history = metrics_.history(std::chrono::system_clock::now());
    MinuteHistory::Counts total{};
    for (const auto& minute : history.minutes) {
        for (std::size_t i = 0; i < total.size(); ++i) total[i] += minute[i];
    }
    EXPECT_EQ(total,
              (MinuteHistory::Counts{1, 1, 1, 1}));  // received, delivered, deferred, bounced
}

TEST_F(MetricsTest, CountsPerRecipientDomainUpToALimit) {
    mainlog_->delivered("id1", "a@Example.NET", "mx", "mx.example.net", "250 ok");
    mainlog_->deferred("id1", "b@example.net", "mx", "mx.example.net", "451 later");
    mainlog_->failed("id1", "c@other.example", "mx", "", "550 no");
    auto x = scrape();
    EXPECT_EQ(
        x.samples["herald_destination_recipients_delivered_total{destination=\"example.net\"}"],
        "1");
    EXPECT_EQ(
        x.samples["herald_destination_recipients_deferred_total{destination=\"example.net\"}"],
        "1");
    EXPECT_EQ(
        x.samples["herald_destination_recipients_failed_total{destination=\"other.example\"}"],
        "1");
    for (std::size_t i = 0; i < Metrics::kMaxDestinations + 50; ++i) {
        mainlog_->delivered("id2", "r@d" + std::to_string(i) + ".example", "mx", "", "250 ok");
    }
    EXPECT_EQ(metrics_.destination("example.net").delivered, 1u);  // still counted on its own
    EXPECT_EQ(metrics_.destination("other").delivered, 52u);       // 202 named, 52 others
    EXPECT_EQ(metrics_.destination("d199.example").delivered, 0u);
}

TEST_F(MetricsTest, OwnBouncesAreCountedApartFromReceivedMail) {
    mainlog_->arrival("dsn", envelope("", "local"), 100, "Undelivered Mail");
    mainlog_->arrival("remote-dsn", envelope("", "esmtp"), 100, "a bounce from elsewhere");
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_bounces_total"], "1");
    EXPECT_EQ(x.samples["herald_messages_received_total"], "1");
}

TEST_F(MetricsTest, FailureWithoutTransportIsLabelledNone) {
    mainlog_->failed("id", "rcpt@example.net", "", "", "4.4.7 expired");
    EXPECT_EQ(scrape().samples["herald_recipients_failed_total{transport=\"none\"}"], "1");
}

TEST_F(MetricsTest, CountsRejectionsByReasonAndRateLimitHits) {
    rejectlog_->write("192.0.2.1", "RCPT TO:<x@elsewhere.example>",
                      "554 5.7.1 Relay access denied");
    rejectlog_->write("192.0.2.1", "MAIL FROM:<a@b.example>", "451 4.7.1 Rate exceeded");
    rejectlog_->write("192.0.2.1", "MAIL FROM:<a@b.example>", "451 4.7.1 Rate exceeded");
    rejectlog_->write("192.0.2.1", "AUTH PLAIN", "535 5.7.8 Authentication credentials invalid");
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_smtp_rejections_total{reason=\"relay_denied\"}"], "1");
    EXPECT_EQ(x.samples["herald_smtp_rejections_total{reason=\"rate_limited\"}"], "2");
    EXPECT_EQ(x.samples["herald_smtp_rejections_total{reason=\"auth_failed\"}"], "1");
    EXPECT_EQ(x.samples["herald_rate_limit_hits_total"], "2");
}

TEST_F(MetricsTest, ConnectionGaugeGoesUpAndDownAndNeverBelowZero) {
    metrics_.connection_opened();
    metrics_.connection_opened();
    metrics_.connection_closed();
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_smtp_connections"], "1");
    EXPECT_EQ(x.samples["herald_smtp_connections_total"], "2");
    metrics_.connection_closed();
    metrics_.connection_closed();
    EXPECT_EQ(scrape().samples["herald_smtp_connections"], "0");
}

TEST_F(MetricsTest, QueueGaugesShowTheLastCensus) {
    queue::QueueCensusSnapshot census{
        .total = {.messages = 42, .recipients = 50, .oldest_age = std::chrono::seconds(3600)}};
    census.transports["mx"] = {
        .messages = 40, .recipients = 45, .oldest_age = std::chrono::seconds(3600)};
    census.destinations["gmail.com"] = {
        .messages = 2, .recipients = 5, .oldest_age = std::chrono::seconds(60)};
    metrics_.set_queue(census);
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_queue_messages"], "42");
    EXPECT_EQ(x.samples["herald_queue_recipients"], "50");
    EXPECT_EQ(x.samples["herald_queue_oldest_age_seconds"], "3600");
    EXPECT_EQ(x.samples["herald_queue_transport_messages{transport=\"mx\"}"], "40");
    EXPECT_EQ(x.samples["herald_queue_transport_recipients{transport=\"mx\"}"], "45");
    // A configured transport with nothing queued still has its gauges, at zero.
    EXPECT_EQ(x.samples["herald_queue_transport_messages{transport=\"stuck\"}"], "0");
    EXPECT_EQ(x.samples["herald_queue_transport_oldest_age_seconds{transport=\"stuck\"}"], "0");
    EXPECT_EQ(x.samples["herald_queue_destination_recipients{destination=\"gmail.com\"}"], "5");
    EXPECT_EQ(x.samples["herald_queue_destination_oldest_age_seconds{destination=\"gmail.com\"}"],
              "60");
    metrics_.set_queue({.total = {.oldest_age = std::chrono::seconds(-5)}});  // clock stepped back
    EXPECT_EQ(scrape().samples["herald_queue_oldest_age_seconds"], "0");
}

TEST_F(MetricsTest, DkimSignaturesAreCountedPerDomain) {
    metrics_.dkim_signed("example.com");
    metrics_.dkim_signed("example.com");
    metrics_.dkim_signed("example.org");
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_dkim_signatures_total{domain=\"example.com\"}"], "2");
    EXPECT_EQ(x.samples["herald_dkim_signatures_total{domain=\"example.org\"}"], "1");
}

TEST_F(MetricsTest, TlsReportingIsShownOnlyWhenItIsOn) {
    EXPECT_FALSE(scrape().families.contains("herald_tlsrpt_reports_total"));
    metrics_.set_tlsrpt({.successful_sessions = 7,
                         .failed_sessions = 2,
                         .reports = {{{"https", "failed"}, 3}, {{"mail", "sent"}, 1}},
                         .waiting_posts = 1});
    auto x = scrape();
    EXPECT_EQ(x.samples["herald_tlsrpt_sessions_total{result=\"successful\"}"], "7");
    EXPECT_EQ(x.samples["herald_tlsrpt_sessions_total{result=\"failed\"}"], "2");
    EXPECT_EQ(x.samples["herald_tlsrpt_reports_total{method=\"https\",result=\"failed\"}"], "3");
    EXPECT_EQ(x.samples["herald_tlsrpt_reports_total{method=\"mail\",result=\"sent\"}"], "1");
    EXPECT_EQ(x.samples["herald_tlsrpt_posts_waiting"], "1");
    EXPECT_EQ(x.families["herald_tlsrpt_posts_waiting"].type, "gauge");
}

TEST_F(MetricsTest, HostileLabelValuesAreEscaped) {
    mainlog_->delivered("id", "r@example.net", "a\"b\\c\nd", "", "250 ok");
    auto text = metrics_.render();
    EXPECT_NE(text.find(R"(herald_recipients_delivered_total{transport="a\"b\\c\nd"} 1)"),
              std::string::npos)
        << text;
    scrape();  // and the whole exposition still parses
}

TEST(EscapeLabelValue, EscapesBackslashQuoteAndNewlineOnly) {
    EXPECT_EQ(escape_label_value("plain"), "plain");
    EXPECT_EQ(escape_label_value("\\"), "\\\\");
    EXPECT_EQ(escape_label_value("\""), "\\\"");
    EXPECT_EQ(escape_label_value("\n"), "\\n");
    EXPECT_EQ(escape_label_value("t\tab"), "t\tab");
}

TEST_F(MetricsTest, CountsAreExactUnderConcurrentWriters) {
    constexpr int kThreads = 4;
    constexpr int kEach = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([this] {
            for (int i = 0; i < kEach; ++i) {
                mainlog_->delivered("id", "r@example.net", "mx", "", "250 ok");
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(metrics_.transport("mx").delivered, std::uint64_t{kThreads * kEach});
}

}  // namespace
}  // namespace herald::admin
