#pragma once
// The http transport: POSTs each message to `url` (http:// or https://), once for all its
// recipients, as the raw message or as JSON (http_request.hpp says what is sent). The status
// of the response decides for every recipient at once: 2xx delivered; 408, 429 and 5xx
// deferred, as is every network error and timeout; other 3xx and 4xx failed (redirects are
// not followed: the configured url is the one the administrator vouched for). https verifies
// the server's certificate chain and name, always. One request per connection, over
// SmtpStream (TCP and TLS with deadlines; nothing in it is SMTP).
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/transport.hpp"
#include "delivery/transports/connection_limiter.hpp"
#include "delivery/transports/http_request.hpp"
#include "delivery/transports/http_url.hpp"
#include "delivery/transports/smtp_stream.hpp"

namespace herald::delivery {

struct HttpTimeouts {
    std::chrono::seconds connect{30};   // name resolution, then each TCP connect
    std::chrono::seconds request{120};  // from the first connect to the end of the response
};

struct HttpTransportOptions {
    HttpTimeouts timeouts;
    std::filesystem::path ca_file;  // trusted beside the system store
};

class HttpTransport final : public Transport {
  public:
    explicit HttpTransport(const config::Transport& config, HttpTransportOptions options = {});

    std::string_view name() const override { return config_.name; }
    boost::asio::awaitable<std::vector<RecipientResult>> deliver(const Delivery& delivery) override;

  private:
    struct Verdict {
        RecipientResult::Outcome outcome;
        std::string detail;
    };
    using Clock = std::chrono::steady_clock;

    boost::asio::awaitable<Verdict> post(const Delivery& delivery);
    boost::asio::awaitable<Verdict> exchange(SmtpStream& stream, const std::string& where,
                                             const HttpRequest& request,
                                             Clock::time_point deadline);
    boost::asio::awaitable<Result<std::vector<std::string>>> addresses();

    config::Transport config_;
    HttpTransportOptions options_;
    Result<HttpUrl> url_;
    HttpFormat format_;
    ConnectionLimiter limiter_;
    boost::asio::ssl::context tls_;
    std::string tls_setup_error_;  // a CA file that cannot be read: every delivery defers
};

}  // namespace herald::delivery
