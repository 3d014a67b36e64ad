#include "delivery/transports/http_response.hpp"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

using Outcome = RecipientResult::Outcome;

TEST(HttpResponseReader, ReadsAResponseInPieces) {
    HttpResponseReader reader;
    const std::string bytes = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        EXPECT_FALSE(reader.receive(bytes.substr(i, 1)));
    }
    EXPECT_TRUE(reader.receive(bytes.substr(bytes.size() - 1)));
    auto response = reader.response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 201u);
    EXPECT_TRUE(response->complete);
    EXPECT_EQ(response->describe(), "HTTP 201 Created: ok");
}

TEST(HttpResponseReader, ReadsAChunkedBody) {
    HttpResponseReader reader;
    EXPECT_TRUE(reader.receive(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
    EXPECT_EQ(reader.response()->describe(), "HTTP 200 OK: abcde");
}

TEST(HttpResponseReader, ReadsABodyThatEndsWithTheConnection) {
    HttpResponseReader reader;
    EXPECT_FALSE(reader.receive("HTTP/1.0 200 OK\r\n\r\nall of it"));
    reader.end_of_stream("connection closed by the server");
    auto response = reader.response();
    ASSERT_TRUE(response);
    EXPECT_TRUE(response->complete);
    EXPECT_EQ(response->describe(), "HTTP 200 OK: all of it");
}

TEST(HttpResponseReader, ReportsTheConnectionEndingBeforeAStatus) {
    HttpResponseReader reader;
    EXPECT_FALSE(reader.receive("HTTP/1.1 2"));
    reader.end_of_stream("connection closed by the server");
    EXPECT_TRUE(reader.done());
    EXPECT_FALSE(reader.response());
    EXPECT_EQ(reader.error(), "connection closed by the server");
}

TEST(HttpResponseReader, RefusesGarbage) {
    HttpResponseReader reader;
    EXPECT_TRUE(reader.receive(std::string("\x00\xff garbage\r\n\r\n", 14)));
    EXPECT_FALSE(reader.response());
    EXPECT_TRUE(reader.error().starts_with("bad HTTP response")) << reader.error();
}

TEST(HttpResponseReader, RefusesAnEndlessHeader) {
    HttpResponseReader reader;
    EXPECT_FALSE(reader.receive("HTTP/1.1 200 OK\r\nX-Long: "));
    const std::string chunk(4096, 'a');
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) done = reader.receive(chunk);
    EXPECT_TRUE(done);
    EXPECT_FALSE(reader.response());
}

TEST(HttpResponseReader, KeepsTheStatusWhenTheBodyIsTooLong) {
    HttpResponseReader reader;
    EXPECT_FALSE(reader.receive("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "1000\r\n" + std::string(4096, 'z') + "\r\n";
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) done = reader.receive(chunk);
    EXPECT_TRUE(done);
    auto response = reader.response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503u);
    EXPECT_FALSE(response->complete);
    EXPECT_EQ(response->outcome(), Outcome::deferred);
}

TEST(HttpResponseReader, SkipsInterimResponsesButNotEndlessOnes) {
    HttpResponseReader reader;
    EXPECT_TRUE(
        reader.receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                       "HTTP/1.1 204 No Content\r\n\r\n"));
    EXPECT_EQ(reader.response()->status, 204u);
    HttpResponseReader endless;
    bool done = false;
    for (int i = 0; i < 20 && !done; ++i) done = endless.receive("HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_TRUE(done);
    EXPECT_FALSE(endless.response());
}

TEST(HttpResponse, MapsStatusesToOutcomes) {
    auto outcome = [](unsigned status) { return HttpResponse{status}.outcome(); };
    EXPECT_EQ(outcome(200), Outcome::delivered);
    EXPECT_EQ(outcome(299), Outcome::delivered);
    EXPECT_EQ(outcome(101), Outcome::deferred);
    EXPECT_EQ(outcome(302), Outcome::failed);
    EXPECT_EQ(outcome(400), Outcome::failed);
    EXPECT_EQ(outcome(413), Outcome::failed);
    EXPECT_EQ(outcome(408), Outcome::deferred);
    EXPECT_EQ(outcome(429), Outcome::deferred);
    EXPECT_EQ(outcome(500), Outcome::deferred);
    EXPECT_EQ(outcome(599), Outcome::deferred);
    EXPECT_EQ(outcome(600), Outcome::deferred);
}

TEST(PrintableExcerpt, FoldsControlsAndCuts) {
    EXPECT_EQ(printable_excerpt("  a\r\n\tb\x1b\x7f c\xc3\xa9 ", 100), "a b c");
    EXPECT_EQ(printable_excerpt(std::string(500, 'x'), 200).size(), 200u);
    EXPECT_EQ(printable_excerpt("\r\n", 10), "");
}

}  // namespace
}  // namespace herald::delivery
