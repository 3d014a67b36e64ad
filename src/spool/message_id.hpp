#pragma once
// Queue ids: unique across restarts and across processes that inject at the same time (the
// server and `herald sendmail`), sortable by arrival time, and safe as a file name.
//
// 20 characters of lower-case Crockford base32 (whose ASCII order is its numeric order):
//   11: microseconds since the epoch (55 bits, good until the year 3111)
//    4: a per-process counter (20 bits): distinct ids within one microsecond
//    5: per-process random (25 bits, from getrandom, drawn again after fork): two processes
//       that pick the same microsecond and counter still differ.
// The spool also refuses to overwrite an existing file, so even that last chance of a
// collision cannot lose a message.
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::spool {

inline constexpr std::size_t kMessageIdLength = 20;

// The ids of one process, given the clock: separate from new_message_id() so that the
// counter's wrap-around can be tested without waiting for a microsecond to hold 2^20 ids.
class MessageIdSequence {
  public:
    explicit MessageIdSequence(std::uint64_t random);
    std::string next(std::uint64_t now_micros);

  private:
    std::uint64_t random_;
    std::uint64_t counter_;
    std::uint64_t last_micros_ = 0;
};

std::string new_message_id();

// True for what new_message_id() returns (shape only).
bool is_generated_message_id(std::string_view id);

// What the spool accepts as an id: 1 to 64 of [A-Za-z0-9_-], so never a path, never ".."
// and never the name of a temporary file.
bool is_valid_message_id(std::string_view id);

}  // namespace herald::spool
