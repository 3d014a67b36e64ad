#pragma once
// Where one recipient of a queued message stands. Stored as one byte in the queue file so
// that an outcome is recorded in place (see docs/spool.md).
#include <cstddef>
#include <optional>
#include <string_view>

namespace herald::spool {

enum class RecipientState { pending, delivered, failed };

// "pending", "delivered", "failed": for `herald queue show` and the JSON listing.
std::string_view to_string(RecipientState state);

// The byte in the queue file: 'P', 'D' or 'F'.
char to_record_byte(RecipientState state);
std::optional<RecipientState> from_record_byte(char byte);

// A recipient's new state, by its place among the message's recipients.
struct RecipientMark {
    std::size_t index;
    RecipientState state;
};

}  // namespace herald::spool
