#include "state/redis_link.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>

#include "base/expiry.hpp"
#include "state/redis_master.hpp"

namespace herald::state {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kFirstRetry{250};
constexpr std::chrono::milliseconds kLastRetry{10000};
constexpr std::chrono::seconds kPingEvery{1};

}  // namespace

RedisLink::RedisLink(asio::any_io_executor executor, RedisSettings settings, Note note)
    : executor_(executor),
      settings_(std::move(settings)),
      note_(std::move(note)),
      wake_(executor) {}

void RedisLink::subscribe(std::string channel, Message on_message) {
    channels_.emplace(std::move(channel), std::move(on_message));
}

void RedisLink::on_up(Reconnected hook) {
    hooks_.push_back(std::move(hook));
}

void RedisLink::start() {
    asio::co_spawn(executor_, keep_open(), asio::detached);
}

void RedisLink::stop() {
    stopped_ = true;
    wake_.cancel();
    if (commands_) commands_->close("stopping");
    if (subscriber_) subscriber_->close("stopping");
}

void RedisLink::set_up(bool up, const std::string& why) {
    if (told_ && up == up_) return;
    const std::string where = "Redis " + settings_.url.redacted();
    if (up) {
        note_("cluster: " + where + " is up" +
              (master().empty() ? "" : " (master " + master() + ")"));
    } else {
        note_("cluster: " + where + " is unreachable (" + why +
              "); counting locally until it is back");
    }
    if (told_) ++state_changes_;
    told_ = true;
    up_ = up;
}

std::string RedisLink::master() const {
    if (!settings_.url.uses_sentinels() || !commands_) return {};
    const auto& url = commands_->settings().url;
    return config::RedisEndpoint{url.host, url.port}.to_string();
}

asio::awaitable<Status> RedisLink::open_both() {
    auto commands = co_await open_master(executor_, settings_);
    if (!commands) co_return Error{commands.error()};
    commands_ = *commands;
    if (channels_.empty()) co_return ok_status();
    auto subscriber = co_await open_master(executor_, settings_, [this](const RedisValue& message) {
        auto it = channels_.find(message.elements[1].text);
        if (it != channels_.end()) it->second(message.elements[2].text);
    });
    if (!subscriber) co_return Error{subscriber.error()};
    subscriber_ = *subscriber;
    // One channel a command: SUBSCRIBE answers once per channel.
    for (const auto& [channel, handler] : channels_) {
        std::vector<std::string> subscribe{"SUBSCRIBE", channel};
        auto reply = co_await subscriber_->command(std::move(subscribe));
        if (!reply) co_return Error{reply.error()};
        if (reply->is_error()) co_return Error{"SUBSCRIBE: " + reply->text};
    }
    co_return ok_status();
}

// Until one connection closes: PINGs both every second (a stopped Redis answers nothing).
asio::awaitable<std::string> RedisLink::watch() {
    while (!stopped_) {
        wake_.expires_after(kPingEvery);
        co_await wake_.async_wait(with_error_code);
        if (stopped_) break;
        const std::array connections{commands_, subscriber_};
        for (const auto& connection : connections) {
            if (!connection) continue;
            std::vector<std::string> ping{"PING"};
            auto reply = co_await connection->command(std::move(ping));
            if (!reply) co_return reply.error();
        }
    }
    co_return std::string("stopping");
}

asio::awaitable<void> RedisLink::keep_open() {
    auto retry = kFirstRetry;
    while (!stopped_) {
        auto opened = co_await open_both();
        if (!opened) {
            set_up(false, opened.error());
            if (commands_) commands_->close("reconnecting");
            if (subscriber_) subscriber_->close("reconnecting");
            wake_.expires_after(retry);
            co_await wake_.async_wait(with_error_code);
            retry = std::min(retry * 2, kLastRetry);
            continue;
        }
        retry = kFirstRetry;
        set_up(true, {});
        for (auto& hook : hooks_) co_await hook();
        const std::string why = co_await watch();
        commands_->close(why);
        if (subscriber_) subscriber_->close(why);
        if (!stopped_) set_up(false, why);
    }
}

asio::awaitable<Result<RedisValue>> RedisLink::command(std::vector<std::string> args) {
    if (!up_ || !commands_) co_return Error{"Redis is unreachable"};
    auto connection = commands_;  // the link may reconnect while this command waits
    co_return co_await connection->command(std::move(args));
}

asio::awaitable<Result<RedisValue>> RedisLink::run(const RedisScript& script,
                                                   std::vector<std::string> keys,
                                                   std::vector<std::string> args) {
    if (!up_ || !commands_) co_return Error{"Redis is unreachable"};
    auto connection = commands_;
    co_return co_await connection->run(script, std::move(keys), std::move(args));
}

}  // namespace herald::state
