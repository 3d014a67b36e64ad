#pragma once
// One record of the spool's journal (docs/spool.md, "The journal"). A change to the queue is
// made to the message's file first, then recorded here; it counts (the client's 250, a
// recipient marked delivered) once its record is flushed, and many records share a flush.
//
//   <kind> <id> <length> <crc>\n<payload>\n
//
// kind: M a message stored (payload: its queue file, whole), O recipients' outcomes
// ("<index><state byte>" pairs separated by spaces: "0D 2F"), H held or released ("h" or
// "-"), X removed (no payload). crc: CRC-32 of "<kind> <id> <length> " and the payload, as 8
// lower-case hex digits. A record torn by a crash or damaged fails it, and reading stops.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "spool/recipient_state.hpp"

namespace herald::spool {

enum class JournalKind : char { message = 'M', outcomes = 'O', held = 'H', removed = 'X' };

struct JournalRecord {
    JournalKind kind;
    std::string id;
    std::string payload;
};

void append_journal_record(std::string& out, JournalKind kind, std::string_view id,
                           std::string_view payload);

// The records of a segment in order, up to the first that is torn or damaged: `complete`
// says whether every byte was read as records, or as records and then zeros (the unused end
// of a prepared segment; no record starts with a zero byte).
struct JournalSegmentText {
    std::vector<JournalRecord> records;
    bool complete = true;
};
JournalSegmentText read_journal_records(std::string_view segment);

std::string encode_outcomes(const std::vector<RecipientMark>& marks);
Result<std::vector<RecipientMark>> parse_outcomes(std::string_view payload);

}  // namespace herald::spool
