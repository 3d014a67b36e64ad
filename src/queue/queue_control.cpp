#include "queue/queue_control.hpp"

#include <algorithm>

#include "log/main_log.hpp"
#include "queue/bouncer.hpp"
#include "queue/scheduler.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

std::string QueueControl::handle(std::string_view verb, std::string_view id) {
    if (verb == "flush") return flush(id);
    if (!spool::is_valid_message_id(id))
        return "error " + std::string(verb) + " needs a message id";
    if (verb == "hold") return hold(id, true);
    if (verb == "release") return hold(id, false);
    if (verb == "delete") return remove(id);
    if (verb == "bounce") return bounce(id);
    return "error unknown request '" + std::string(verb) + "'";
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
    const std::string reason = "5.0.0 returned to the sender by the administrator";
    std::vector<spool::RecipientMark> marks;
    std::vector<message::FailedRecipient> failed;
    for (std::size_t i = 0; i < message.recipients.size(); ++i) {
        if (message.recipients[i].state != spool::RecipientState::pending) continue;
        marks.push_back({i, spool::RecipientState::failed});
        failed.push_back({message.recipients[i].address, reason, ""});
    }
    if (!marks.empty()) {
        if (auto st = spool_.mark_recipients(id, marks); !st) return "error " + st.error();
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
