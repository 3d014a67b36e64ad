#pragma once
// The checks an accepted message is given after its reply, in log mode: the preflight's SPF
// and DMARC, the bulk rules. They wait on DNS, and a DNS that does not answer holds each of
// them for the resolver's timeout (10 s): at a busy sender's rate, tens of thousands at once,
// each with its message's names in memory. So at most `[dns] max_pending_checks` wait at
// once; a message that finds them all taken goes unchecked (it is queued all the same: these
// checks only log). The mainlog says when that starts and, once a check has finished, how
// many messages went unchecked.
// On the event loop only.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace herald::accept {

class PendingChecks {
  public:
    using Note = std::function<void(const std::string&)>;  // a mainlog line
    PendingChecks(std::size_t most, Note note) : most_(most), note_(std::move(note)) {}
    PendingChecks(const PendingChecks&) = delete;
    PendingChecks& operator=(const PendingChecks&) = delete;

    // One check's place, given back when it is destroyed.
    class Slot {
      public:
        explicit Slot(PendingChecks* checks) : checks_(checks) {}
        Slot(Slot&& other) noexcept : checks_(std::exchange(other.checks_, nullptr)) {}
        Slot& operator=(Slot&&) = delete;
        Slot(const Slot&) = delete;
        ~Slot() {
            if (checks_ != nullptr) checks_->finished();
        }

      private:
        PendingChecks* checks_;
    };

    // A place for one more check; nullopt when every one is taken (the message goes
    // unchecked, and is counted).
    std::optional<Slot> take();

    std::size_t pending() const { return pending_; }

  private:
    void finished();

    std::size_t most_;
    Note note_;
    std::size_t pending_ = 0;
    std::size_t unchecked_ = 0;  // since the limit was last reached
};

}  // namespace herald::accept
