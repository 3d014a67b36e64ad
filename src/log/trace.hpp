#pragma once
// `herald trace`: every log line of the messages a query matches, in time order, across the
// mainlog and the rejectlog. Pure: the caller feeds the lines (LogReader), in three passes:
//   1. find(): every mainlog line, to learn which message ids match (and the bounces
//      they caused);
//   2. collect(): every mainlog line again, keeping those of the matched messages (a
//      recipient shows up only after its message's arrival line, hence two passes);
//   3. collect_reject(): every rejectlog line.
// Rejectlog lines carry no message id. One is kept when its command names the queried
// address (MAIL FROM:<q>, RCPT TO:<q>), when it comes from the queried client IP, or when
// it comes from a matched message's client IP within kSessionWindow before that message's
// arrival: the refusals of the same SMTP session, such as a rejected RCPT beside the
// accepted ones.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace herald::log {

inline constexpr std::chrono::seconds kSessionWindow{60};

struct TraceQuery {
    enum class Kind { message_id, address, client_ip };
    Kind kind = Kind::message_id;
    std::string value;  // an address in lower case without <>, "<>" for the null sender

    // An address (has an "@", or is "<>"), an IP literal, or else a message id. nullopt for
    // an empty query or one with spaces or control characters.
    static std::optional<TraceQuery> parse(std::string_view text);
};

struct TracedLine {
    std::string ts;
    std::string_view log;  // "mainlog" or "rejectlog"
    std::string line;      // as written
};

class Trace {
  public:
    explicit Trace(TraceQuery query) : query_(std::move(query)) {}

    void find(std::string_view mainlog_line);
    void collect(std::string_view mainlog_line);
    void collect_reject(std::string_view rejectlog_line);

    std::size_t messages() const { return ids_.size(); }
    // The kept lines, oldest first (at the same instant: rejectlog, then mainlog, each in
    // file order).
    std::vector<TracedLine> lines() const;

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;

    bool address_matches(std::string_view raw_address) const;
    bool reject_matches(std::string_view ts, std::string_view ip, std::string_view command) const;
    void note_session(std::string_view ts, std::string_view ip);

    TraceQuery query_;
    Set ids_;
    // Per client IP of a matched message: the [arrival - kSessionWindow, arrival] windows,
    // as log timestamps (start, end).
    std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>, Hash,
                       std::equal_to<>>
        sessions_;
    std::vector<TracedLine> lines_;
};

}  // namespace herald::log
