#include "queue/queue_control.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <iterator>

#include "log/main_log.hpp"
#include "queue/bouncer.hpp"
#include "queue/given_up.hpp"
#include "queue/queue_filter.hpp"
#include "queue/scheduler.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

std::string QueueControl::handle(std::string_view verb, std::string_view id) {
    if (verb.ends_with(kMatchingSuffix)) {
        return act_on_matching(verb.substr(0, verb.size() - kMatchingSuffix.size()), id);
    }
    if (verb == "flush") return flush(id);
    if (!spool::is_valid_message_id(id))
        return "error " + std::string(verb) + " needs a message id";
    if (verb == "hold") return hold(id, true);
    if (verb == "release") return hold(id, false);
    if (verb == "delete") return remove(id);
    if (verb == "bounce") return bounce(id);
    return "error unknown request '" + std::string(verb) + "'";
}

bool QueueControl::would_change(std::string_view action, const spool::SpooledMessage& message) {
    if (action == "hold" || action == "flush") return !message.held;
    if (action == "release") return message.held;
    if (action == "bounce") return !message.finished();
    return true;
}

std::string QueueControl::act_on_matching(std::string_view action, std::string_view filter_text) {
    constexpr std::string_view kActions[] = {"flush", "hold", "release", "delete", "bounce"};
    if (std::find(std::begin(kActions), std::end(kActions), action) == std::end(kActions)) {
        return "error unknown request '" + std::string(action) + std::string(kMatchingSuffix) + "'";
    }
    QueueFilter filter;
    if (filter_text != kEveryMessage) {
        auto parsed = QueueFilter::from_text(filter_text);
        if (!parsed) return "error " + parsed.error();
        // Nothing given is not "every message": that takes "*", said on purpose.
        if (parsed->empty()) return "error " + std::string(action) + " needs a filter or *";
        filter = std::move(*parsed);
    }
    const auto now = std::chrono::system_clock::now();
    const TransportOf transport_of = transport_names(scheduler_.router());
    std::size_t touched = 0;
    for (const auto& id : spool_.list()) {
        const auto message = spool_.load(id);
        if (!message || !filter.matches(*message, now, transport_of)) continue;
        if (!would_change(action, *message)) continue;
        const std::string reply = action == "flush"     ? flush(id)
                                  : action == "hold"    ? hold(id, true)
                                  : action == "release" ? hold(id, false)
                                  : action == "delete"  ? remove(id)
                                                        : bounce(id);
        if (reply.starts_with("ok")) ++touched;
    }
    mainlog_.note(fmt::format("queue {} of the messages matching {}: {} touched", action,
                              filter_text == kEveryMessage ? "*" : filter.to_text(), touched));
    return "ok " + std::to_string(touched);
}

std::string QueueControl::flush(std::string_view id) {
    if (id.empty()) {
        scheduler_.flush(std::nullopt);
        return "ok flushing the queue";
    }
    if (!spool::is_valid_message_id(id) || !spool_.load(id)) {
        return "error no message " + std::string(id) + " in the queue";
    }
    scheduler_.flush(std::string(id));
    return "ok flushing " + std::string(id);
}

std::string QueueControl::hold(std::string_view id, bool held) {
    if (auto st = spool_.set_held(id, held); !st) return "error " + st.error();
    std::string sid(id);
    const auto message = spool_.load(id);
    const message::Envelope* envelope = message ? &message->envelope : nullptr;
    if (held) {
        scheduler_.forget(sid);
        mainlog_.admin(sid, "hold", "held by administrator", envelope);
        return "ok held " + sid;
    }
    mainlog_.admin(sid, "release", "released by administrator", envelope);
    scheduler_.flush(sid);
    return "ok released " + sid;
}

std::string QueueControl::remove(std::string_view id) {
    // Loaded first: the events name its recipients.
    const auto message = spool_.load(id);
    if (auto st = spool_.remove(id); !st) return "error " + st.error();
    std::string sid(id);
    scheduler_.removed(sid);
    mainlog_.admin(sid, "delete", "deleted by administrator",
                   message ? &message->envelope : nullptr);
    return "ok deleted " + sid;
}

std::string QueueControl::bounce(std::string_view id) {
    auto loaded = spool_.load_with_data(id);
    if (!loaded) return "error " + loaded.error();
    if (!loaded->data) return "error " + loaded->data.error();
    const spool::SpooledMessage& message = loaded->message;
    std::string sid(id);
    const std::string reason = give_up_reason(GiveUp::administrator);
    const auto saved = spool_.load_schedule(id);  // the last errors, for the DSN
    std::vector<spool::RecipientMark> marks;
    std::vector<message::ReportedRecipient> failed;
    for (std::size_t i = 0; i < message.recipients.size(); ++i) {
        if (message.recipients[i].state != spool::RecipientState::pending) continue;
        marks.push_back({i, spool::RecipientState::failed});
        failed.push_back(given_up(message.recipients[i].address, GiveUp::administrator,
                                  saved ? &*saved : nullptr));
    }
    if (!marks.empty()) {
        if (auto st = spool_.mark_recipients(id, marks); !st) return "error " + st.error();
    }
    // A held message is attempted by no one: released, the flush below completes it.
    if (message.held) {
        if (auto st = spool_.set_held(id, false); !st) return "error " + st.error();
    }
    for (const auto& f : failed) {
        mainlog_.failed(sid, f.address, "", "", reason, {.envelope = &message.envelope});
    }
    mainlog_.admin(sid, "bounce", "bounced by administrator", &message.envelope);
    if (auto bounce_id = bouncer_.bounce(id, message.envelope, *loaded->data, std::move(failed))) {
        scheduler_.enqueue_now(*bounce_id);
    }
    scheduler_.flush(sid);  // the next attempt finds nothing pending and completes it
    return "ok bounced " + sid;
}

}  // namespace herald::queue
