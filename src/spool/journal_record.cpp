#include "spool/journal_record.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace herald::spool {

namespace {

std::uint32_t crc_of(std::string_view head, std::string_view payload) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (std::string_view part : {head, payload}) {
        // zlib takes lengths as uInt: a payload of 4 GiB or more goes in pieces.
        while (!part.empty()) {
            const auto piece = static_cast<uInt>(std::min<std::size_t>(part.size(), 1u << 30));
            crc = ::crc32(crc, reinterpret_cast<const Bytef*>(part.data()), piece);
            part.remove_prefix(piece);
        }
    }
    return static_cast<std::uint32_t>(crc);
}

bool is_kind(char c) {
    return c == 'M' || c == 'O' || c == 'H' || c == 'X';
}

template <typename Number>
bool parse_number(std::string_view text, Number& value, int base = 10) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    return ec == std::errc() && end == text.data() + text.size();
}

// "<kind> <id> <length> <crc>": four fields, none empty.
std::optional<std::array<std::string_view, 4>> fields_of(std::string_view line) {
    std::array<std::string_view, 4> fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto space = i + 1 < fields.size() ? line.find(' ') : line.size();
        if (space == std::string_view::npos || space == 0) return std::nullopt;
        fields[i] = line.substr(0, space);
        line.remove_prefix(std::min(space + 1, line.size()));
    }
    return fields;
}

// One record at the start of `text`, and its length; nullopt when it is torn or damaged.
std::optional<std::pair<JournalRecord, std::size_t>> read_one(std::string_view text) {
    constexpr std::size_t kMaxLine = 128;  // an id is at most 64 characters
    const auto line_end = text.find('\n');
    if (line_end == std::string_view::npos || line_end > kMaxLine) return std::nullopt;
    const std::string_view line = text.substr(0, line_end);
    const auto fields = fields_of(line);
    std::uint64_t length = 0;
    std::uint32_t crc = 0;
    if (!fields || (*fields)[0].size() != 1 || !is_kind((*fields)[0][0]) ||
        !parse_number((*fields)[2], length) || (*fields)[3].size() != 8 ||
        !parse_number((*fields)[3], crc, 16)) {
        return std::nullopt;
    }
    const std::size_t payload_at = line_end + 1;
    if (text.size() - payload_at <= length || text[payload_at + length] != '\n') {
        return std::nullopt;
    }
    const std::string_view payload = text.substr(payload_at, length);
    if (crc_of(line.substr(0, line.size() - 8), payload) != crc) return std::nullopt;
    JournalRecord record{static_cast<JournalKind>((*fields)[0][0]), std::string((*fields)[1]),
                         std::string(payload)};
    return std::pair{std::move(record), payload_at + length + 1};
}

}  // namespace

void append_journal_record(std::string& out, JournalKind kind, std::string_view id,
                           std::string_view payload) {
    const std::string head = fmt::format("{} {} {} ", static_cast<char>(kind), id, payload.size());
    out += head;
    out += fmt::format("{:08x}\n", crc_of(head, payload));
    out += payload;
    out += '\n';
}

JournalSegmentText read_journal_records(std::string_view segment) {
    JournalSegmentText text;
    while (!segment.empty()) {
        auto record = read_one(segment);
        if (!record) {
            // A prepared segment's zeros after the last record are no record cut short.
            text.complete = segment.find_first_not_of('\0') == std::string_view::npos;
            break;
        }
        text.records.push_back(std::move(record->first));
        segment.remove_prefix(record->second);
    }
    return text;
}

std::string encode_outcomes(const std::vector<RecipientMark>& marks) {
    std::string out;
    for (const auto& mark : marks) {
        if (!out.empty()) out += ' ';
        out += std::to_string(mark.index);
        out += to_record_byte(mark.state);
    }
    return out;
}

Result<std::vector<RecipientMark>> parse_outcomes(std::string_view payload) {
    std::vector<RecipientMark> marks;
    while (!payload.empty()) {
        const auto end = std::min(payload.find(' '), payload.size());
        const std::string_view one = payload.substr(0, end);
        std::size_t index = 0;
        const auto state = one.empty() ? std::nullopt : from_record_byte(one.back());
        if (!state || !parse_number(one.substr(0, one.size() - 1), index)) {
            return Error{"bad outcome '" + std::string(one.substr(0, 32)) + "'"};
        }
        marks.push_back({index, *state});
        payload.remove_prefix(std::min(end + 1, payload.size()));
    }
    return marks;
}

}  // namespace herald::spool
