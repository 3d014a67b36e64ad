#include "spool/schedule.hpp"

#include "spool/record_value.hpp"

namespace herald::spool {

static constexpr std::string_view kMagic = "HERALD-SCHEDULE 1\n";

std::string encode_schedule(const Schedule& schedule) {
    std::string out(kMagic);
    out += "N " + std::to_string(schedule.attempts) + "\n";
    out += "W " + encode_record_time(schedule.next_attempt) + "\n";
    out += "L " + escape_record_value(schedule.last_error) + "\n";
    return out;
}

std::optional<Schedule> parse_schedule(std::string_view text) {
    if (!text.starts_with(kMagic)) return std::nullopt;
    text.remove_prefix(kMagic.size());
    Schedule schedule;
    bool attempts = false, next = false, error = false;
    while (!text.empty()) {
        auto end = text.find('\n');
        if (end == std::string_view::npos || end < 2 || text[1] != ' ') return std::nullopt;
        auto value = text.substr(2, end - 2);
        switch (text[0]) {
            case 'N': {
                auto n = parse_record_integer<unsigned>(value);
                if (!n) return std::nullopt;
                schedule.attempts = *n;
                attempts = true;
                break;
            }
            case 'W': {
                auto at = parse_record_time(value);
                if (!at) return std::nullopt;
                schedule.next_attempt = *at;
                next = true;
                break;
            }
            case 'L': {
                auto decoded = unescape_record_value(value);
                if (!decoded) return std::nullopt;
                schedule.last_error = std::move(*decoded);
                error = true;
                break;
            }
            default:
                return std::nullopt;
        }
        text.remove_prefix(end + 1);
    }
    if (!attempts || !next || !error) return std::nullopt;
    return schedule;
}

}  // namespace herald::spool
