#include "delivery/transports/http.hpp"

#include "delivery/transports/http_response.hpp"

namespace herald::delivery {

namespace asio = boost::asio;
using Outcome = RecipientResult::Outcome;

HttpTransport::HttpTransport(const config::Transport& config, HttpTransportOptions options)
    : config_(config),
      options_(std::move(options)),
      url_(HttpUrl::parse(config.url)),
      format_(config.format == "json" ? HttpFormat::json : HttpFormat::rfc822),
      limiter_(config.max_connections),
      tls_(options_.ca_file),
      client_(tls_.tls, options_.timeouts, config.source_address) {}

asio::awaitable<std::vector<RecipientResult>> HttpTransport::deliver(const Delivery& delivery) {
    std::vector<RecipientResult> results;
    if (delivery.recipients.empty()) co_return results;
    const Verdict verdict = co_await post(delivery);
    const std::string remote = url_ ? url_->authority() : "";
    for (const auto& recipient : delivery.recipients) {
        results.push_back({recipient, verdict.outcome, verdict.detail, remote});
    }
    co_return results;
}

asio::awaitable<HttpTransport::Verdict> HttpTransport::post(const Delivery& delivery) {
    if (!url_) {
        co_return Verdict{Outcome::deferred, "transport " + config_.name + ": " + url_.error()};
    }
    if (url_->tls && !tls_.error.empty()) {
        co_return Verdict{Outcome::deferred, "transport " + config_.name + ": " + tls_.error};
    }
    auto request = HttpRequest::build(*url_, format_, delivery);
    if (!request) co_return Verdict{Outcome::failed, request.error()};
    auto permit = co_await limiter_.acquire(url_->authority());
    auto response = co_await client_.send(*url_, *request);
    if (!response) co_return Verdict{Outcome::deferred, response.error()};
    co_return Verdict{response->outcome(), response->describe()};
}

}  // namespace herald::delivery
