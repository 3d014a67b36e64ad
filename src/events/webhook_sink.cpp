#include "events/webhook_sink.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "base/hmac_sha256.hpp"
#include "log/main_log.hpp"
#include "log/panic_log.hpp"

namespace herald::events {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Backoff after a failed request: 1 s, doubling, at most 5 minutes.
constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kLastRetry = std::chrono::seconds(300);
// The outbox is fdatasync'd at least this often (docs/events.md: a power loss costs at most
// this much).
constexpr auto kSyncInterval = std::chrono::seconds(1);

std::string batch_body(const std::vector<std::string>& lines) {
    std::size_t size = 16;
    for (const auto& line : lines) size += line.size() + 1;
    std::string body;
    body.reserve(size);
    body += "{\"events\":[";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) body += ',';
        body += lines[i];
    }
    body += "]}";
    return body;
}

}  // namespace

WebhookSink::WebhookSink(const config::EventSink& config, std::unique_ptr<Outbox> outbox,
                         asio::any_io_executor executor, BlockingPool& pool, log::MainLog& mainlog,
                         log::PanicLog& paniclog)
    : config_(config),
      outbox_(std::move(outbox)),
      executor_(executor),
      pool_(pool),
      mainlog_(mainlog),
      paniclog_(paniclog),
      url_(delivery::HttpUrl::parse(config.url)),
      client_(tls_.tls, {.connect = config.timeout, .request = config.timeout}, ""),
      timer_(executor) {}

std::string WebhookSink::signature(std::string_view secret, std::string_view body,
                                   std::int64_t unix_time) {
    const std::string time = std::to_string(unix_time);
    std::string signed_text = time + ".";
    signed_text += body;
    const auto mac = hmac_sha256(secret, signed_text);
    return "t=" + time + ",v1=" + lower_hex(mac.data(), mac.size());
}

void WebhookSink::take(const Event&, std::string_view json) {
    auto moved = outbox_->append(json);
    if (!moved) {
        // Not kept: the event itself goes to the paniclog, so that it is not lost unseen.
        paniclog_.write(
            "event sink " + config_.name,
            "cannot keep an event in the outbox (" + moved.error() + "): " + std::string(json));
        return;
    }
    if (*moved > 0) {
        dead_ += *moved;
        paniclog_.write("event sink " + config_.name,
                        std::to_string(*moved) +
                            " undelivered events moved to the dead-letter file: the outbox "
                            "holds max_outbox = " +
                            std::to_string(config_.max_outbox));
    }
    wake();
}

// From any thread: the timer belongs to the event loop, so the wake-up is posted there. One
// wake-up in flight is enough however many events arrive meanwhile.
void WebhookSink::wake() {
    if (wake_posted_.exchange(true)) return;
    asio::post(executor_, [this] {
        wake_posted_ = false;
        if (waiting_ == Waiting::events ||
            (waiting_ == Waiting::batch && outbox_->depth() >= config_.batch_size)) {
            timer_.cancel();
        }
    });
}

void WebhookSink::stop() {
    stopped_ = true;
    asio::post(executor_, [this] { timer_.cancel(); });
}

// Waits `how_long`, or until woken for `why`; the outbox is made durable at least every
// kSyncInterval meanwhile, however long the wait (a retry may wait minutes).
asio::awaitable<void> WebhookSink::wait(Waiting why, Clock::duration how_long) {
    const auto until = Clock::now() + how_long;
    while (!stopped_) {
        const auto left = until - Clock::now();
        if (left <= Clock::duration::zero()) break;
        waiting_ = why;
        timer_.expires_after(std::min<Clock::duration>(left, kSyncInterval));
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        waiting_ = Waiting::none;
        co_await sync();
        if (ec == asio::error::operation_aborted) break;  // woken
    }
}

asio::awaitable<void> WebhookSink::sync() {
    const Status synced = co_await pool_.run([this] { return outbox_->sync(); });
    if (!synced) paniclog_.write("event sink " + config_.name, synced.error());
}

asio::awaitable<void> WebhookSink::run() {
    auto retry = std::chrono::duration_cast<Clock::duration>(kFirstRetry);
    while (!stopped_) {
        if (outbox_->depth() == 0) {
            co_await wait(Waiting::events, kSyncInterval);
            continue;
        }
        if (outbox_->depth() < config_.batch_size && config_.batch_wait.count() > 0) {
            co_await wait(Waiting::batch, config_.batch_wait);
            if (stopped_) break;
        }
        auto batch = co_await pool_.run([this] { return outbox_->peek(config_.batch_size); });
        if (!batch) {
            paniclog_.write("event sink " + config_.name, batch.error());
            co_await wait(Waiting::retry, retry);
            continue;
        }
        if (batch->lines.empty()) continue;
        if (!co_await send(*batch)) {
            ++failures_;
            co_await wait(Waiting::retry, retry);
            retry = std::min<Clock::duration>(retry * 2, kLastRetry);
            continue;
        }
        retry = kFirstRetry;
        const Status acknowledged =
            co_await pool_.run([this, &batch] { return outbox_->acknowledge(*batch); });
        if (!acknowledged) paniclog_.write("event sink " + config_.name, acknowledged.error());
        co_await sync();  // busy, it never waits: what arrived during the request
    }
    co_await sync();
}

// One request for the batch; true when a 2xx acknowledged it. Its failure is a mainlog line.
asio::awaitable<bool> WebhookSink::send(const Outbox::Batch& batch) {
    std::string why;
    if (!url_) {
        why = url_.error();
    } else if (url_->tls && !tls_.error.empty()) {
        why = tls_.error;
    } else {
        std::string body = batch_body(batch.lines);
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        std::vector<delivery::HttpRequest::HeaderValue> fields{
            {"X-Herald-Signature", signature(config_.secret, body, now)}};
        const auto request = delivery::HttpRequest::json_post(*url_, std::move(body), fields);
        auto response = co_await client_.send(*url_, request);
        if (response && response->status >= 200 && response->status < 300) co_return true;
        why = response ? response->describe() : response.error();
    }
    mainlog_.note("event sink " + config_.name + ": " + why + "; " +
                  std::to_string(batch.lines.size()) + " events kept for the next try");
    co_return false;
}

WebhookCounts WebhookSink::counts() const {
    return {.depth = outbox_->depth(), .failures = failures_, .dead = dead_};
}

}  // namespace herald::events
