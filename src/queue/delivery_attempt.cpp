#include "queue/delivery_attempt.hpp"

#include <algorithm>
#include <map>

#include "events/bounce_classifier.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "message/header_block.hpp"
#include "message/list_id.hpp"
#include "queue/bouncer.hpp"
#include "queue/queue_census.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

namespace asio = boost::asio;
using delivery::RecipientResult;
using Outcome = RecipientResult::Outcome;

asio::awaitable<std::optional<DeliveryAttempt::Clock::time_point>> DeliveryAttempt::run() {
    // One trip to the pool for both: each trip costs two context switches.
    auto loaded = co_await ctx_.pool.run([this]() -> std::optional<spool::SpooledMessage> {
        auto found = ctx_.spool.load_with_data(id_);
        if (!found) {
            count_gone();
            return std::nullopt;
        }
        if (ctx_.census) ctx_.census->place(found->message);
        if (found->message.held) return std::nullopt;
        if (found->data) data_ = std::move(*found->data);
        if (auto schedule = ctx_.spool.load_schedule(id_)) attempt_ = schedule->attempts + 1;
        return std::move(found->message);
    });
    // Deleted meanwhile, set aside by recovery, or held.
    if (!loaded) co_return std::nullopt;
    const spool::SpooledMessage& message = *loaded;
    if (!data_) co_return Clock::now() + ctx_.retry.delay_after(1);
    const auto headers = message::HeaderBlock::parse(*data_);
    if (const auto* field = headers.find("Message-ID")) message_id_ = field->value;
    list_id_ = message::list_id_of(headers);
    pending_ = static_cast<std::size_t>(
        std::count_if(message.recipients.begin(), message.recipients.end(),
                      [](const auto& r) { return r.state == spool::RecipientState::pending; }));

    if (auto dropped = drop_suppressed(message); !dropped.empty()) {
        co_await record(message, "", dropped, Recording::suppressed);
    }
    if (pending_ == 0) {
        // Every recipient was suppressed meanwhile.
    } else if (ctx_.retry.expired(message.envelope.arrival, Clock::now())) {
        co_await expire(message);
    } else {
        // One transaction per transport, with all of its pending recipients.
        std::map<delivery::Transport*, std::vector<std::string>> batches;
        for (const auto& r : message.recipients) {
            if (r.state != spool::RecipientState::pending || dropped_.contains(r.address)) continue;
            batches[ctx_.router.transport_for(message.envelope.sender, r.address)].push_back(
                r.address);
        }
        for (auto& [transport, recipients] : batches) {
            delivery::Delivery delivery{id_, message.envelope, std::move(recipients), *data_};
            const auto results = co_await transport->deliver(delivery);
            co_await record(message, transport->name(), results);
        }
    }
    co_await bounce(message);
    co_return co_await finish();
}

asio::awaitable<void> DeliveryAttempt::record(const spool::SpooledMessage& message,
                                              std::string_view transport,
                                              const std::vector<RecipientResult>& results,
                                              Recording recording) {
    struct Mark {
        std::size_t index;
        spool::RecipientState state;
        const RecipientResult* result;
    };
    std::vector<Mark> marks;
    const auto sooner = [this](std::chrono::steady_clock::time_point steady) {
        const auto wait = steady - std::chrono::steady_clock::now();
        const auto at = Clock::now() + std::chrono::duration_cast<Clock::duration>(wait);
        paced_ = paced_ ? std::min(*paced_, at) : at;
    };
    for (const auto& result : results) {
        if (result.paced_until) {
            sooner(*result.paced_until);
            continue;
        }
        attempted_ = true;
        if (result.retry_at) sooner(*result.retry_at);
        if (result.outcome == Outcome::deferred) {
            last_error_ = result.detail;
            const Reading reading = reading_of(result);
            ctx_.mainlog.deferred(id_, result.recipient, transport, result.remote_host,
                                  result.detail, std::nullopt, context_for(message, reading));
            explain(message, result, reading);
            continue;
        }
        const auto state = result.outcome == Outcome::delivered ? spool::RecipientState::delivered
                                                                : spool::RecipientState::failed;
        for (std::size_t i = 0; i < message.recipients.size(); ++i) {
            if (message.recipients[i].address == result.recipient &&
                message.recipients[i].state == spool::RecipientState::pending) {
                marks.push_back({i, state, &result});
            }
        }
    }
    if (marks.empty()) co_return;
    pending_ -= std::min(pending_, marks.size());
    const bool any_failed =
        !failed_.empty() || std::any_of(marks.begin(), marks.end(), [](const Mark& m) {
            return m.state == spool::RecipientState::failed;
        });
    // With its last recipient done and no bounce to send first, the message leaves the queue
    // in the same trip to the pool.
    const bool completes = pending_ == 0 && !any_failed;
    // Durable before it is logged: a restart must never repeat these recipients.
    const std::string error = co_await ctx_.pool.run([this, &marks, completes] {
        std::vector<spool::RecipientMark> states;
        states.reserve(marks.size());
        for (const auto& m : marks) states.push_back({m.index, m.state});
        if (auto marked = ctx_.spool.mark_recipients(id_, states); !marked) {
            return "cannot record the outcome: " + marked.error();
        }
        removed_ = completes && ctx_.spool.remove(id_).ok();
        return std::string();
    });
    if (!error.empty()) last_error_ = error;
    for (const auto& m : marks) {
        const RecipientResult& r = *m.result;
        if (recording == Recording::suppressed) {
            ctx_.mainlog.suppressed(id_, r.recipient, r.detail, context_for(message, {}));
        } else if (m.state == spool::RecipientState::delivered) {
            ctx_.mainlog.delivered(id_, r.recipient, transport, r.remote_host, r.detail,
                                   context_for(message, {}));
        } else {
            const Reading reading = reading_of(r);
            ctx_.mainlog.failed(id_, r.recipient, transport, r.remote_host, r.detail,
                                context_for(message, reading));
            explain(message, r, reading);
            failed_.push_back({r.recipient, r.detail, r.remote_host, reading.category});
        }
    }
}

std::vector<RecipientResult> DeliveryAttempt::drop_suppressed(
    const spool::SpooledMessage& message) {
    std::vector<RecipientResult> dropped;
    if (!ctx_.suppressed) return dropped;
    for (const auto& r : message.recipients) {
        if (r.state != spool::RecipientState::pending) continue;
        if (auto why = ctx_.suppressed(message.envelope.sender, r.address, list_id_)) {
            dropped_.insert(r.address);
            dropped.push_back({.recipient = r.address, .outcome = Outcome::failed, .detail = *why});
        }
    }
    return dropped;
}

DeliveryAttempt::Reading DeliveryAttempt::reading_of(const RecipientResult& result) const {
    if (!ctx_.classifier) return {};
    const events::BounceReading reading = ctx_.classifier->read(result.detail);
    return {.category = std::string(events::category_name(reading.category)),
            .cause = reading.cause};
}

log::MessageContext DeliveryAttempt::context_for(const spool::SpooledMessage& message,
                                                 const Reading& reading) const {
    return {.envelope = &message.envelope,
            .message_id = message_id_,
            .attempt = attempt_,
            .category = reading.category,
            // The names live in a static table: the view outlives the line.
            .cause = reading.cause == events::ReplyCause::none ? std::string_view()
                                                               : events::cause_name(reading.cause)};
}

void DeliveryAttempt::explain(const spool::SpooledMessage& message, const RecipientResult& result,
                              const Reading& reading) {
    if (reading.cause == events::ReplyCause::none || !ctx_.explain) return;
    if (!from_domain_) {
        from_domain_ = data_ ? mailauth::dkim::author_domain(*data_).value_or("") : "";
    }
    ctx_.explain(CausedFailure{.id = id_,
                               .recipient = result.recipient,
                               .sender = message.envelope.sender,
                               .from_domain = *from_domain_,
                               .reply = result.detail,
                               .cause = reading.cause});
}

asio::awaitable<void> DeliveryAttempt::expire(const spool::SpooledMessage& message) {
    std::vector<RecipientResult> expired;
    for (const auto& r : message.recipients) {
        if (r.state != spool::RecipientState::pending) continue;
        expired.push_back({.recipient = r.address,
                           .outcome = Outcome::failed,
                           .detail = "4.4.7 message expired: too long in the queue"});
    }
    co_await record(message, "", expired);
}

asio::awaitable<void> DeliveryAttempt::bounce(const spool::SpooledMessage& message) {
    if (failed_.empty() || !ctx_.bouncer) co_return;
    auto bounce_id = co_await ctx_.pool.run([this, &message] {
        return ctx_.bouncer->bounce(id_, message.envelope, *data_, std::move(failed_));
    });
    failed_.clear();
    if (bounce_id && ctx_.queued) ctx_.queued(*bounce_id);
}

asio::awaitable<std::optional<DeliveryAttempt::Clock::time_point>> DeliveryAttempt::finish() {
    if (removed_) {
        count_gone();
        ctx_.mainlog.completed(id_);
        co_return std::nullopt;
    }
    enum class State { gone, finished, pending };
    const State state = co_await ctx_.pool.run([this] {
        auto reloaded = ctx_.spool.load(id_);
        if (reloaded && !reloaded->finished()) {
            if (ctx_.census) ctx_.census->place(*reloaded);
            return State::pending;
        }
        count_gone();
        if (!reloaded) return State::gone;
        return ctx_.spool.remove(id_) ? State::finished : State::gone;
    });
    if (state == State::gone) co_return std::nullopt;
    if (state == State::finished) {
        ctx_.mainlog.completed(id_);
        co_return std::nullopt;
    }
    // Only waiting for its destination's pace: not an attempt, nothing to note in the spool.
    if (!attempted_ && paced_) co_return *paced_;
    // The schedule was read with the message: this attempt's number is the count to save.
    spool::Schedule schedule;
    schedule.attempts = attempt_;
    schedule.next_attempt =
        Clock::now() + ctx_.retry.jittered_delay_after(schedule.attempts, ctx_.rng);
    if (paced_) schedule.next_attempt = std::min(schedule.next_attempt, *paced_);
    schedule.last_error = last_error_;
    // Unsaved (disk trouble), the schedule still holds in memory; after a restart the message
    // is only retried sooner.
    const Status saved = co_await ctx_.pool.run(
        [this, &schedule] { return ctx_.spool.save_schedule(id_, schedule); });
    static_cast<void>(saved);
    co_return schedule.next_attempt;
}

void DeliveryAttempt::count_gone() {
    if (ctx_.census) ctx_.census->remove(id_);
}

}  // namespace herald::queue
