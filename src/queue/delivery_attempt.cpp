#include "queue/delivery_attempt.hpp"

#include <algorithm>
#include <map>

#include "base/called_back.hpp"
#include "events/bounce_classifier.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "message/header_block.hpp"
#include "message/list_id.hpp"
#include "queue/bouncer.hpp"
#include "queue/given_up.hpp"
#include "queue/queue_census.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

namespace asio = boost::asio;
using delivery::RecipientResult;
using Outcome = RecipientResult::Outcome;

asio::awaitable<std::optional<spool::SpooledMessage>> DeliveryAttempt::load() {
    if (as_stored_) {
        // Just stored, so neither held nor with a schedule; the census counted it then.
        if (as_stored_->data) data_ = std::move(*as_stored_->data);
        std::optional<spool::SpooledMessage> message = std::move(as_stored_->message);
        as_stored_.reset();
        co_return message;
    }
    // One trip to the pool for both: each trip costs two context switches.
    co_return co_await ctx_.pool.run([this]() -> std::optional<spool::SpooledMessage> {
        auto found = ctx_.spool.load_with_data(id_);
        if (!found) {
            count_gone();
            return std::nullopt;
        }
        if (ctx_.census) ctx_.census->place(found->message);
        if (found->message.held) return std::nullopt;
        if (found->data) data_ = std::move(*found->data);
        saved_ = ctx_.spool.load_schedule(id_);
        if (saved_) attempt_ = saved_->attempts + 1;
        return std::move(found->message);
    });
}

asio::awaitable<std::optional<DeliveryAttempt::Clock::time_point>> DeliveryAttempt::run() {
    const auto loaded = co_await load();
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
            batches[router_->transport_for(message.envelope.sender, r.address)].push_back(
                r.address);
        }
        for (auto& [transport, recipients] : batches) {
            delivery::Delivery delivery{id_, message.envelope, std::move(recipients), *data_};
            const auto results = co_await transport->deliver(delivery);
            co_await record(message, transport->name(), results);
        }
    }
    co_await bounce(message);
    co_await report_success(message);
    co_await warn_of_delay(message);
    co_return co_await finish(message);
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
            deferred_[result.recipient] = {.recipient = result.recipient,
                                           .reply = result.detail,
                                           .remote_host = result.remote_host,
                                           .at = Clock::now()};
            const Reading reading = reading_of(result);
            ctx_.mainlog.deferred(id_, result.recipient, transport, result.remote_host,
                                  result.detail, std::nullopt,
                                  context_for(message, reading, &result));
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
    std::vector<spool::RecipientMark> states;
    states.reserve(marks.size());
    for (const auto& m : marks) states.push_back({m.index, m.state});
    // A file still in memory is marked on the loop, its record's flush awaited; one on disk
    // is written in place, on the pool.
    const std::optional<std::string> in_memory = co_await called_back([&](auto committed) {
        return ctx_.spool.mark_in_memory(id_, states, completes, std::move(committed));
    });
    std::string error;
    if (in_memory) {
        error = *in_memory;
        removed_ = completes && error.empty();
    } else {
        error = co_await ctx_.pool.run([this, &states, completes] {
            if (auto marked = ctx_.spool.mark_recipients(id_, states); !marked)
                return marked.error();
            removed_ = completes && ctx_.spool.remove_finished(id_).ok();
            return std::string();
        });
    }
    if (!error.empty()) last_error_ = "cannot record the outcome: " + error;
    for (const auto& m : marks) {
        const RecipientResult& r = *m.result;
        ended_.insert(r.recipient);
        if (recording == Recording::suppressed) {
            ctx_.mainlog.suppressed(id_, r.recipient, r.detail, context_for(message, {}));
        } else if (m.state == spool::RecipientState::delivered) {
            ctx_.mainlog.delivered(id_, r.recipient, transport, r.remote_host, r.detail,
                                   context_for(message, {}, &r));
            note_success(message, r);
        } else {
            const Reading reading = reading_of(r);
            ctx_.mainlog.failed(id_, r.recipient, transport, r.remote_host, r.detail,
                                context_for(message, reading, &r));
            explain(message, r, reading);
            auto report = recording == Recording::expired
                              ? given_up(r.recipient, GiveUp::expired, saved_ ? &*saved_ : nullptr)
                              : message::ReportedRecipient{.address = r.recipient,
                                                           .diagnostic = r.detail,
                                                           .remote_host = r.remote_host,
                                                           .last_attempt = Clock::now()};
            report.category = reading.category;
            failed_.push_back(std::move(report));
        }
    }
}

// RFC 3461 5.2: a success notice unless the next hop took the request over.
void DeliveryAttempt::note_success(const spool::SpooledMessage& message,
                                   const RecipientResult& result) {
    using Handoff = RecipientResult::Handoff;
    if (result.handoff == Handoff::next_hop_reports ||
        !message.envelope.dsn_of(result.recipient).wants(message::RecipientDsn::success)) {
        return;
    }
    succeeded_.push_back({.address = result.recipient,
                          .diagnostic = result.detail,
                          .remote_host = result.remote_host,
                          .last_attempt = Clock::now(),
                          .action = result.handoff == Handoff::mailbox
                                        ? message::ReportAction::delivered
                                        : message::ReportAction::relayed});
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
                                                 const Reading& reading,
                                                 const delivery::RecipientResult* result) const {
    return {.envelope = &message.envelope,
            .message_id = message_id_,
            .attempt = attempt_,
            .category = reading.category,
            // The names live in a static table: the view outlives the line.
            .cause = reading.cause == events::ReplyCause::none ? std::string_view()
                                                               : events::cause_name(reading.cause),
            .tls = result ? std::string_view(result->tls) : std::string_view(),
            .tls_policy = result ? std::string_view(result->tls_policy) : std::string_view()};
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
                           .detail = give_up_reason(GiveUp::expired)});
    }
    co_await record(message, "", expired, Recording::expired);
}

asio::awaitable<void> DeliveryAttempt::bounce(const spool::SpooledMessage& message) {
    if (failed_.empty() || !ctx_.bouncer) co_return;
    auto bounce_id = co_await ctx_.pool.run([this, &message] {
        return ctx_.bouncer->bounce(id_, message.envelope, *data_, std::move(failed_));
    });
    failed_.clear();
    if (bounce_id && ctx_.queued) ctx_.queued(*bounce_id);
}

asio::awaitable<void> DeliveryAttempt::report_success(const spool::SpooledMessage& message) {
    if (succeeded_.empty() || !ctx_.bouncer) co_return;
    auto report_id = co_await ctx_.pool.run([this, &message] {
        return ctx_.bouncer->report_success(id_, message.envelope, *data_, std::move(succeeded_));
    });
    succeeded_.clear();
    if (report_id && ctx_.queued) ctx_.queued(*report_id);
}

// After the bounce: a recipient that failed for good in this attempt is not also "delayed".
asio::awaitable<void> DeliveryAttempt::warn_of_delay(const spool::SpooledMessage& message) {
    if (!ctx_.bouncer || removed_) co_return;
    const auto now = Clock::now();
    const bool warned = saved_ && saved_->delay_warned;
    if (!ctx_.delay_warning.warn_now(message.envelope, now, warned, !deferred_.empty())) {
        co_return;
    }
    std::vector<message::ReportedRecipient> delayed;
    for (auto& d : still_deferred(message)) {
        delayed.push_back({.address = std::move(d.recipient),
                           .diagnostic = std::move(d.reply),
                           .remote_host = std::move(d.remote_host),
                           .last_attempt = d.at});
    }
    const auto until = ctx_.delay_warning.gives_up_at(message.envelope);
    auto warning_id = co_await ctx_.pool.run([this, &message, &delayed, until] {
        return ctx_.bouncer->warn(id_, message.envelope, *data_, std::move(delayed), until);
    });
    if (!warning_id) co_return;
    warned_ = now;
    if (ctx_.queued) ctx_.queued(*warning_id);
}

std::vector<spool::Deferral> DeliveryAttempt::still_deferred(
    const spool::SpooledMessage& message) const {
    std::vector<spool::Deferral> out;
    for (const auto& r : message.recipients) {
        if (r.state != spool::RecipientState::pending || ended_.contains(r.address)) continue;
        if (auto it = deferred_.find(r.address); it != deferred_.end()) {
            out.push_back(it->second);
        } else if (const spool::Deferral* kept =
                       saved_ ? saved_->deferral_of(r.address) : nullptr) {
            out.push_back(*kept);
        } else {
            out.push_back({.recipient = r.address});  // not tried yet: paced
        }
    }
    return out;
}

asio::awaitable<std::optional<DeliveryAttempt::Clock::time_point>> DeliveryAttempt::finish(
    const spool::SpooledMessage& message) {
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
            static_cast<void>(ctx_.spool.write_unwritten(id_));
            return State::pending;
        }
        count_gone();
        if (!reloaded) return State::gone;
        return ctx_.spool.remove_finished(id_) ? State::finished : State::gone;
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
    for (auto& deferral : still_deferred(message)) {
        if (!deferral.reply.empty()) schedule.deferrals.push_back(std::move(deferral));
    }
    schedule.delay_warned = warned_ ? warned_ : saved_ ? saved_->delay_warned : std::nullopt;
    // Back when the warning falls due, rather than at the next retry, which may be hours on.
    if (!schedule.delay_warned) {
        const auto due = ctx_.delay_warning.due_at(message.envelope);
        if (due && *due > Clock::now()) {
            schedule.next_attempt = std::min(schedule.next_attempt, *due);
        }
    }
    // Unsaved (disk trouble), the schedule still holds in memory; after a restart the message
    // is only retried sooner. A delay warning sent in this attempt is then sent again at the
    // next: twice rather than never (the order Postfix keeps too).
    const Status saved = co_await ctx_.pool.run(
        [this, &schedule] { return ctx_.spool.save_schedule(id_, schedule); });
    static_cast<void>(saved);
    co_return schedule.next_attempt;
}

void DeliveryAttempt::count_gone() {
    if (ctx_.census) ctx_.census->remove(id_);
}

}  // namespace herald::queue
