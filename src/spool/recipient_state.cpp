#include "spool/recipient_state.hpp"

namespace herald::spool {

std::string_view to_string(RecipientState state) {
    switch (state) {
        case RecipientState::pending:
            return "pending";
        case RecipientState::delivered:
            return "delivered";
        case RecipientState::failed:
            return "failed";
    }
    return "pending";
}

char to_record_byte(RecipientState state) {
    switch (state) {
        case RecipientState::pending:
            return 'P';
        case RecipientState::delivered:
            return 'D';
        case RecipientState::failed:
            return 'F';
    }
    return 'P';
}

std::optional<RecipientState> from_record_byte(char byte) {
    switch (byte) {
        case 'P':
            return RecipientState::pending;
        case 'D':
            return RecipientState::delivered;
        case 'F':
            return RecipientState::failed;
        default:
            return std::nullopt;
    }
}

}  // namespace herald::spool
