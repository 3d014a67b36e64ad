#pragma once
// The on-disk form of one queued message (docs/spool.md): text records, one a line, then the
// data, then the end record. A file counts only when its length is exactly header + data +
// end record and it ends with that record; anything else is incomplete.
//
//   HERALD-QUEUE 1
//   T 1764000000123456        arrival, microseconds since the epoch
//   S alice@example.com       sender ("" is the null sender)
//   H client.example.org      HELO/EHLO argument
//   I 192.0.2.7               client IP ("" for local injection)
//   A alice                   AUTH user
//   P esmtpsa                 protocol
//   U 0                       SMTPUTF8
//   B 1                       BODY=8BITMIME
//   F -                       flags: '-' active, 'h' held (updated in place)
//   RP bob@example.net        one per recipient; the byte after R is its state (in place)
//   D 1234                    data size; the data follows this line
//   <1234 bytes of data>E\n
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "message/envelope.hpp"
#include "spool/recipient_state.hpp"

namespace herald::spool {

inline constexpr std::string_view kQueueFileMagic = "HERALD-QUEUE 1\n";
inline constexpr std::string_view kEndRecord = "E\n";

struct QueueFileHeader {
    message::Envelope envelope;
    std::vector<RecipientState> states;  // one per envelope.recipients entry
    bool held = false;
    std::uint64_t data_size = 0;
    std::uint64_t data_offset = 0;  // the length of the header
    // Where the bytes that change in place live, for mark_recipients() and set_held().
    std::vector<std::uint64_t> state_offsets;
    std::uint64_t held_offset = 0;

    std::uint64_t file_size() const { return data_offset + data_size + kEndRecord.size(); }
};

inline constexpr char kHeldFlag = 'h';
inline constexpr char kActiveFlag = '-';

// Everything before the data, every recipient pending, not held.
std::string encode_queue_file_header(const message::Envelope& envelope, std::uint64_t data_size);

// The length of the header if `bytes` (the start of a file) holds all of it.
std::optional<std::size_t> queue_file_header_length(std::string_view bytes);

// Parses exactly one header (as delimited by queue_file_header_length); says what is wrong.
Result<QueueFileHeader> parse_queue_file_header(std::string_view header);

}  // namespace herald::spool
