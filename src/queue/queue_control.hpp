#pragma once
// What the administrator asks of the running queue (through the control socket): flush,
// hold, release, delete, bounce, of one message ("hold ID") or of every message a
// QueueFilter matches ("hold-matching FILTER", FILTER as QueueFilter::to_text() writes it, or
// "*" for every message). Each answer is one line, "ok ..." or "error ..."; a bulk request's
// is "ok N", N the messages it touched.
#include <string>
#include <string_view>

namespace herald::log {
class MainLog;
}
namespace herald::spool {
class Spool;
struct SpooledMessage;
}  // namespace herald::spool

namespace herald::queue {

class Bouncer;
class Scheduler;

// Runs on the event loop: requests are rare, and each is a few small file operations.
class QueueControl {
  public:
    QueueControl(spool::Spool& spool, log::MainLog& mainlog, Scheduler& scheduler, Bouncer& bouncer)
        : spool_(spool), mainlog_(mainlog), scheduler_(scheduler), bouncer_(bouncer) {}

    std::string handle(std::string_view verb, std::string_view id);

    static constexpr std::string_view kMatchingSuffix = "-matching";
    static constexpr std::string_view kEveryMessage = "*";
    // Whether `action` would change `message`: a bulk action passes over the rest (a held
    // message is not held again nor flushed, one not held is not released).
    static bool would_change(std::string_view action, const spool::SpooledMessage& message);

  private:
    // Reads every queued message to test the filter: on the event loop, like the rest, since
    // an administrator's bulk action is rare; a queue of millions waits seconds for it.
    std::string act_on_matching(std::string_view action, std::string_view filter_text);
    std::string flush(std::string_view id);
    std::string hold(std::string_view id, bool held);
    std::string remove(std::string_view id);
    std::string bounce(std::string_view id);

    spool::Spool& spool_;
    log::MainLog& mainlog_;
    Scheduler& scheduler_;
    Bouncer& bouncer_;
};

}  // namespace herald::queue
