#pragma once
// What the administrator asks of the running queue (through the control socket): flush,
// hold, release, delete, bounce. Each answer is one line, "ok ..." or "error ...".
#include <string>
#include <string_view>

namespace herald::log {
class MainLog;
}
namespace herald::spool {
class Spool;
}

namespace herald::queue {

class Bouncer;
class Scheduler;

// Runs on the event loop: requests are rare, and each is a few small file operations.
class QueueControl {
  public:
    QueueControl(spool::Spool& spool, log::MainLog& mainlog, Scheduler& scheduler, Bouncer& bouncer)
        : spool_(spool), mainlog_(mainlog), scheduler_(scheduler), bouncer_(bouncer) {}

    std::string handle(std::string_view verb, std::string_view id);

  private:
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
