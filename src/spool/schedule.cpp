#include "spool/schedule.hpp"

#include <algorithm>
#include <array>

#include "spool/record_value.hpp"

namespace herald::spool {

static constexpr std::string_view kMagic = "HERALD-SCHEDULE 1\n";
// Between the fields of a deferral record: escape_record_value() writes a tab as %09, so a
// raw one never occurs inside a field.
static constexpr char kFieldSeparator = '\t';

namespace {

std::string encode_deferral(const Deferral& d) {
    std::string out = encode_record_time(d.at);
    for (std::string_view field : {std::string_view(d.recipient), std::string_view(d.remote_host),
                                   std::string_view(d.reply)}) {
        out += kFieldSeparator;
        out += escape_record_value(field);
    }
    return out;
}

std::optional<Deferral> parse_deferral(std::string_view value) {
    std::array<std::string_view, 4> fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto end = value.find(kFieldSeparator);
        if ((end == std::string_view::npos) != (i + 1 == fields.size())) return std::nullopt;
        fields[i] = value.substr(0, end);
        if (end != std::string_view::npos) value.remove_prefix(end + 1);
    }
    auto at = parse_record_time(fields[0]);
    auto recipient = unescape_record_value(fields[1]);
    auto host = unescape_record_value(fields[2]);
    auto reply = unescape_record_value(fields[3]);
    if (!at || !recipient || !host || !reply) return std::nullopt;
    return Deferral{.recipient = std::move(*recipient),
                    .reply = std::move(*reply),
                    .remote_host = std::move(*host),
                    .at = *at};
}

}  // namespace

const Deferral* Schedule::deferral_of(std::string_view recipient) const {
    auto it = std::find_if(deferrals.begin(), deferrals.end(),
                           [recipient](const Deferral& d) { return d.recipient == recipient; });
    return it == deferrals.end() ? nullptr : &*it;
}

// Records R and V are written only when there is something to say, so a schedule without
// them reads as before they existed.
std::string encode_schedule(const Schedule& schedule) {
    std::string out(kMagic);
    out += "N " + std::to_string(schedule.attempts) + "\n";
    out += "W " + encode_record_time(schedule.next_attempt) + "\n";
    out += "L " + escape_record_value(schedule.last_error) + "\n";
    for (const auto& deferral : schedule.deferrals) out += "R " + encode_deferral(deferral) + "\n";
    if (schedule.delay_warned) out += "V " + encode_record_time(*schedule.delay_warned) + "\n";
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
            case 'R': {
                auto deferral = parse_deferral(value);
                if (!deferral) return std::nullopt;
                schedule.deferrals.push_back(std::move(*deferral));
                break;
            }
            case 'V': {
                auto at = parse_record_time(value);
                if (!at) return std::nullopt;
                schedule.delay_warned = *at;
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
