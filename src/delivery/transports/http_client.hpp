#pragma once
// One HTTP request over a fresh connection, with deadlines: the name resolved (getaddrinfo),
// each address tried in turn, TLS when the url is https (the chain and the name verified,
// always), the request sent, the response read. Shared by the http transport and the event
// webhooks, which differ only in what they send and what the answer means to them.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "delivery/transports/http_request.hpp"
#include "delivery/transports/http_response.hpp"
#include "delivery/transports/http_url.hpp"
#include "delivery/transports/smtp_stream.hpp"

namespace herald::delivery {

struct HttpTimeouts {
    std::chrono::seconds connect{30};   // name resolution, then each TCP connect
    std::chrono::seconds request{120};  // from the first connect to the end of the response
};

class HttpClient {
  public:
    // `tls` must outlive the client. `source_address`: the local address to connect from
    // ("" for any).
    HttpClient(boost::asio::ssl::context& tls, HttpTimeouts timeouts, std::string source_address)
        : tls_(tls), timeouts_(timeouts), source_address_(std::move(source_address)) {}

    // The response (any status), or why there is none: "connect to host:port: refused",
    // "TLS with ...", "no HTTP response from ...: ...".
    boost::asio::awaitable<Result<HttpResponse>> send(const HttpUrl& url,
                                                      const HttpRequest& request) const;
    // To the addresses given, in turn, rather than those getaddrinfo finds for url.host
    // (which the certificate must still name): for names Herald's own resolver looks up.
    boost::asio::awaitable<Result<HttpResponse>> send_to(const std::vector<std::string>& ips,
                                                         const HttpUrl& url,
                                                         const HttpRequest& request) const;

  private:
    using Clock = std::chrono::steady_clock;
    boost::asio::awaitable<Result<HttpResponse>> exchange(SmtpStream& stream, const HttpUrl& url,
                                                          const std::string& where,
                                                          const HttpRequest& request,
                                                          Clock::time_point deadline) const;
    boost::asio::awaitable<Result<std::vector<std::string>>> addresses(const HttpUrl& url) const;

    boost::asio::ssl::context& tls_;
    HttpTimeouts timeouts_;
    std::string source_address_;
};

// A TLS client context that verifies with the system's store and `ca_file` (if any), TLS 1.2
// at least. `error`: a CA file that cannot be read (every https request should then fail
// with it rather than trust less).
struct HttpsContext {
    explicit HttpsContext(const std::filesystem::path& ca_file = {});
    boost::asio::ssl::context tls;
    std::string error;
};

}  // namespace herald::delivery
