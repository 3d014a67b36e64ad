#include "accept/pending_checks.hpp"

namespace herald::accept {

std::optional<PendingChecks::Slot> PendingChecks::take() {
    if (pending_ < most_) {
        ++pending_;
        return Slot(this);
    }
    if (unchecked_++ == 0 && note_) {
        note_("log-mode checks: " + std::to_string(most_) +
              " wait on DNS ([dns] max_pending_checks); the next messages go unchecked until "
              "one finishes");
    }
    return std::nullopt;
}

void PendingChecks::finished() {
    --pending_;
    if (unchecked_ == 0) return;
    if (note_) {
        note_("log-mode checks: taken again; " + std::to_string(unchecked_) +
              (unchecked_ == 1 ? " message went" : " messages went") + " unchecked");
    }
    unchecked_ = 0;
}

}  // namespace herald::accept
