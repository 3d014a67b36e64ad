#include "spool/queue_file.hpp"

#include "spool/record_value.hpp"

namespace herald::spool {
namespace {

// Keeps header + data + end record far from overflowing on a hostile size.
constexpr std::uint64_t kMaxDataSize = std::uint64_t{1} << 48;

void add_record(std::string& out, char tag, std::string_view value) {
    out.push_back(tag);
    out.push_back(' ');
    out += escape_record_value(value);
    out.push_back('\n');
}

std::optional<bool> parse_flag(std::string_view text) {
    if (text == "0") return false;
    if (text == "1") return true;
    return std::nullopt;
}

// Fills in one record; false when it is malformed.
class HeaderParser {
  public:
    Result<QueueFileHeader> parse(std::string_view header);

  private:
    bool record(std::string_view line, std::uint64_t offset);
    bool recipient(std::string_view line, std::uint64_t offset);
    bool recipient_dsn(std::string_view value);

    QueueFileHeader h_;
    bool seen_arrival_ = false, seen_sender_ = false, seen_flags_ = false, seen_data_ = false;
};

Result<QueueFileHeader> HeaderParser::parse(std::string_view header) {
    if (!header.starts_with(kQueueFileMagic)) return Error{"not a Herald queue file (version 1)"};
    std::uint64_t offset = kQueueFileMagic.size();
    while (offset < header.size()) {
        if (seen_data_) return Error{"records after the data size record"};
        auto end = header.find('\n', offset);
        if (end == std::string_view::npos) return Error{"unterminated record"};
        if (!record(header.substr(offset, end - offset), offset)) {
            return Error{"malformed record at byte " + std::to_string(offset)};
        }
        offset = end + 1;
    }
    if (!seen_arrival_ || !seen_sender_ || !seen_flags_ || !seen_data_) {
        return Error{"a required record (T, S, F or D) is missing"};
    }
    h_.data_offset = header.size();
    return std::move(h_);
}

bool HeaderParser::record(std::string_view line, std::uint64_t offset) {
    if (line.size() < 2) return false;
    if (line[0] == 'R') return recipient(line, offset);
    if (line[1] != ' ') return false;
    auto value = line.substr(2);
    auto& env = h_.envelope;
    auto text = [&](std::string& field) {
        auto decoded = unescape_record_value(value);
        if (decoded) field = std::move(*decoded);
        return decoded.has_value();
    };
    auto flag = [&](bool& field) {
        auto parsed = parse_flag(value);
        if (parsed) field = *parsed;
        return parsed.has_value();
    };
    switch (line[0]) {
        case 'T': {
            auto arrival = parse_record_time(value);
            if (arrival) env.arrival = *arrival;
            return seen_arrival_ = arrival.has_value();
        }
        case 'S':
            return seen_sender_ = text(env.sender);
        case 'H':
            return text(env.helo);
        case 'I':
            return text(env.client_ip);
        case 'A':
            return text(env.auth_user);
        case 'P':
            return text(env.protocol);
        case 'U':
            return flag(env.smtputf8);
        case 'B':
            return flag(env.body_8bit);
        case 'O':
            return flag(env.from_outsider);
        case 'L':
            return flag(env.require_tls);
        case 'V': {
            auto ret = message::parse_dsn_return(value);
            if (ret) env.dsn_return = *ret;
            return ret.has_value();
        }
        case 'X':
            return text(env.envelope_id);
        case 'N':
            return recipient_dsn(value);
        case 'F':
            if (value != "-" && value != "h") return false;
            h_.held = value[0] == kHeldFlag;
            h_.held_offset = offset + 2;
            return seen_flags_ = true;
        case 'D': {
            auto size = parse_record_integer<std::uint64_t>(value);
            if (!size || *size > kMaxDataSize) return false;
            h_.data_size = *size;
            return seen_data_ = true;
        }
        default:
            return false;
    }
}

bool HeaderParser::recipient(std::string_view line, std::uint64_t offset) {
    auto state = from_record_byte(line[1]);
    if (!state || line.size() < 3 || line[2] != ' ') return false;
    auto address = unescape_record_value(line.substr(3));
    if (!address) return false;
    h_.envelope.recipients.push_back(std::move(*address));
    h_.states.push_back(*state);
    h_.state_offsets.push_back(offset + 1);
    return true;
}

// "N <notify> <orcpt>" after its recipient's R record: "-" for a NOTIFY not given.
bool HeaderParser::recipient_dsn(std::string_view value) {
    auto& env = h_.envelope;
    if (env.recipients.empty() || env.recipient_dsn.contains(env.recipients.back())) return false;
    auto decoded = unescape_record_value(value);
    if (!decoded) return false;
    const auto space = decoded->find(' ');
    if (space == std::string::npos) return false;
    message::RecipientDsn dsn{.orcpt = decoded->substr(space + 1)};
    const std::string_view notify = std::string_view(*decoded).substr(0, space);
    if (notify != "-") {
        dsn.notify = message::parse_notify(notify);
        if (!dsn.notify) return false;
    }
    env.recipient_dsn.emplace(env.recipients.back(), std::move(dsn));
    return true;
}

}  // namespace

std::string encode_queue_file_header(const message::Envelope& envelope, std::uint64_t data_size) {
    std::string out;
    out.reserve(256 + envelope.recipients.size() * 64);
    out += kQueueFileMagic;
    add_record(out, 'T', encode_record_time(envelope.arrival));
    add_record(out, 'S', envelope.sender);
    add_record(out, 'H', envelope.helo);
    add_record(out, 'I', envelope.client_ip);
    add_record(out, 'A', envelope.auth_user);
    add_record(out, 'P', envelope.protocol);
    add_record(out, 'U', envelope.smtputf8 ? "1" : "0");
    add_record(out, 'B', envelope.body_8bit ? "1" : "0");
    // Written only when set, so that a queue file without it reads as before.
    if (envelope.from_outsider) add_record(out, 'O', "1");
    if (envelope.require_tls) add_record(out, 'L', "1");
    if (envelope.dsn_return != message::DsnReturn::unspecified) {
        add_record(out, 'V', message::dsn_return_text(envelope.dsn_return));
    }
    if (!envelope.envelope_id.empty()) add_record(out, 'X', envelope.envelope_id);
    add_record(out, 'F', std::string_view(&kActiveFlag, 1));
    for (const auto& rcpt : envelope.recipients) {
        out.push_back('R');
        add_record(out, to_record_byte(RecipientState::pending), rcpt);
        if (auto dsn = envelope.recipient_dsn.find(rcpt); dsn != envelope.recipient_dsn.end()) {
            const auto& notify = dsn->second.notify;
            add_record(out, 'N',
                       (notify ? message::notify_text(*notify) : "-") + " " + dsn->second.orcpt);
        }
    }
    add_record(out, 'D', std::to_string(data_size));
    return out;
}

std::optional<std::size_t> queue_file_header_length(std::string_view bytes) {
    // Values never hold a raw LF, so the first line that starts with "D " is the size record.
    auto start = bytes.find("\nD ");
    if (start == std::string_view::npos) return std::nullopt;
    auto end = bytes.find('\n', start + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return end + 1;
}

Result<QueueFileHeader> parse_queue_file_header(std::string_view header) {
    return HeaderParser().parse(header);
}

}  // namespace herald::spool
