#pragma once
// The answer to the http transport's POST: read from whatever bytes the server sends
// (sans-I/O, over Beast's parser, so that hostile input can be tested without a socket), and
// what it means for the recipients. Bounded: a header block over kMaxHeader bytes is an
// error; of the body only kMaxBody bytes are kept, for the log line.
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "delivery/transport.hpp"

namespace herald::delivery {

struct HttpResponse {
    unsigned status = 0;
    std::string reason;    // as the server sent it
    std::string body;      // at most kMaxBody bytes
    bool complete = true;  // false: the body was cut short or too long

    // RFC 9110 15: 2xx delivered; 408 (the server gave up waiting), 429 (too many requests)
    // and 5xx deferred; other 3xx and 4xx failed; anything else (101, codes beyond 599)
    // deferred, as an answer no one meant for us.
    RecipientResult::Outcome outcome() const;
    // "HTTP 503 Service Unavailable: <body excerpt>", printable ASCII only and bounded: it
    // goes into log lines and bounces.
    std::string describe() const;
};

class HttpResponseReader {
  public:
    static constexpr std::size_t kMaxHeader = 16 * 1024;
    static constexpr std::size_t kMaxBody = 64 * 1024;
    static constexpr std::size_t kMaxExcerpt = 200;

    HttpResponseReader();

    // Takes what arrived; true once nothing more is needed (a whole response, or an error).
    bool receive(std::string_view bytes);
    // The connection ended (`why`: closed, reset, timed out). A response delimited by the
    // end of the connection (RFC 9112 6.3) is complete now.
    void end_of_stream(const std::string& why);
    bool done() const { return done_; }

    // The response once its status line and header fields are in, even if its body is not.
    std::optional<HttpResponse> response() const;
    // Why there is no response; meaningful when response() is empty.
    const std::string& error() const { return error_; }

  private:
    using Parser = boost::beast::http::response_parser<boost::beast::http::string_body>;
    static std::unique_ptr<Parser> fresh_parser();
    void parse();
    bool has_final_header() const;

    std::unique_ptr<Parser> parser_;
    std::string pending_;
    std::string error_;
    std::size_t interim_responses_ = 0;
    bool done_ = false;
};

// `text` with everything but printable ASCII turned into spaces, runs of spaces folded,
// trimmed, and cut to `max` bytes.
std::string printable_excerpt(std::string_view text, std::size_t max);

}  // namespace herald::delivery
