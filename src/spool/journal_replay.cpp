#include "spool/journal_replay.hpp"

#include <algorithm>

#include "spool/queue_file.hpp"

namespace herald::spool {

bool JournaledMessage::finished() const {
    if (!stored) return false;
    const auto length = queue_file_header_length(*stored);
    if (!length) return false;
    auto header = parse_queue_file_header(std::string_view(*stored).substr(0, *length));
    if (!header) return false;
    auto states = header->states;
    for (const auto& mark : marks) {
        if (mark.index < states.size()) states[mark.index] = mark.state;
    }
    return std::none_of(states.begin(), states.end(),
                        [](RecipientState s) { return s == RecipientState::pending; });
}

std::map<std::string, JournaledMessage> fold_journal(const std::vector<JournalRecord>& records) {
    std::map<std::string, JournaledMessage> messages;
    for (const auto& record : records) {
        JournaledMessage& message = messages[record.id];
        switch (record.kind) {
            case JournalKind::message:
                message = JournaledMessage{.stored = record.payload};
                break;
            case JournalKind::outcomes:
                if (auto marks = parse_outcomes(record.payload)) {
                    message.marks.insert(message.marks.end(), marks->begin(), marks->end());
                }
                break;
            case JournalKind::held:
                message.held = record.payload == "h";
                break;
            case JournalKind::removed:
                message.removed = true;
                break;
        }
    }
    return messages;
}

}  // namespace herald::spool
