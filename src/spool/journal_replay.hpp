#pragma once
// What a journal left by a crash says of each message it names (docs/spool.md, "The
// journal"): folded from its records in order, for Spool::settle_journal to make the files
// say the same.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spool/journal_record.hpp"

namespace herald::spool {

struct JournaledMessage {
    std::optional<std::string> stored;  // the queue file as stored (M)
    std::vector<RecipientMark> marks;   // the outcomes since (O), in order
    std::optional<bool> held;           // the last hold or release (H)
    bool removed = false;               // X

    // Every recipient delivered or failed: known only when the journal has the stored file.
    bool finished() const;
};

std::map<std::string, JournaledMessage> fold_journal(const std::vector<JournalRecord>& records);

}  // namespace herald::spool
