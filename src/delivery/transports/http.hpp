#pragma once
// The http transport: POSTs each message to `url` (http:// or https://), once for all its
// recipients, as the raw message or as JSON (http_request.hpp says what is sent). The status
// of the response decides for every recipient at once: 2xx delivered; 408, 429 and 5xx
// deferred, as is every network error and timeout; other 3xx and 4xx failed (redirects are
// not followed: the configured url is the one the administrator vouched for). https verifies
// the server's certificate chain and name, always. One request per connection, over
// HttpClient.
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "delivery/transport.hpp"
#include "delivery/transports/connection_limiter.hpp"
#include "delivery/transports/http_client.hpp"
#include "delivery/transports/http_request.hpp"
#include "delivery/transports/http_url.hpp"

namespace herald::delivery {

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

    config::Transport config_;
    HttpTransportOptions options_;
    Result<HttpUrl> url_;
    HttpFormat format_;
    ConnectionLimiter limiter_;
    HttpsContext tls_;  // its error (a CA file that cannot be read): every delivery defers
    HttpClient client_;
};

}  // namespace herald::delivery
