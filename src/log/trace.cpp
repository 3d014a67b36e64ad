#include "log/trace.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "base/ascii_case.hpp"
#include "base/timestamp.hpp"
#include "log/log_line.hpp"
#include "log/log_time.hpp"
#include "log/log_value.hpp"

namespace herald::log {
namespace {

bool is_ip_literal(const std::string& text) {
    unsigned char address[16];
    return ::inet_pton(AF_INET, text.c_str(), address) == 1 ||
           ::inet_pton(AF_INET6, text.c_str(), address) == 1;
}

// The client IP of an arrival line's rest, raw.
std::string_view client_ip_of(std::string_view rest) {
    TokenCursor cursor(rest);
    while (auto token = cursor.next()) {
        if (auto ip = raw_field(*token, "ip")) return *ip;
    }
    return {};
}

// The message a line is about: its id, or for a note ("<ts> - <text>") the text's first
// word, which is how notes about one message begin ("- <id> preflight ...").
std::string_view message_of(const MainLogView& view) {
    if (view.id != "-") return view.id;
    auto space = view.rest.find(' ');
    return space == std::string_view::npos ? std::string_view() : view.rest.substr(0, space);
}

}  // namespace

std::optional<TraceQuery> TraceQuery::parse(std::string_view text) {
    if (text.empty() || std::any_of(text.begin(), text.end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
        })) {
        return std::nullopt;
    }
    if (text == "<>") return TraceQuery{Kind::address, "<>"};
    if (text.size() > 2 && text.front() == '<' && text.back() == '>') {
        text = text.substr(1, text.size() - 2);
    }
    std::string value(text);
    if (value.find('@') != std::string::npos)
        return TraceQuery{Kind::address, ascii_lowercase(value)};
    if (is_ip_literal(value)) return TraceQuery{Kind::client_ip, ascii_lowercase(value)};
    return TraceQuery{Kind::message_id, std::move(value)};
}

bool Trace::address_matches(std::string_view raw_address) const {
    if (raw_address == "<>") return query_.value == "<>";
    if (raw_address.front() == '"') {
        auto address = parse_value(raw_address);
        return address && ascii_lowercase(*address) == query_.value;
    }
    return raw_address.size() == query_.value.size() &&
           std::equal(raw_address.begin(), raw_address.end(), query_.value.begin(),
                      [](char a, char b) { return ascii_lower(a) == b; });
}

void Trace::find(std::string_view line) {
    auto view = split_main_log_line(line);
    if (!view) return;
    auto id = message_of(*view);
    if (id.empty()) return;
    bool match = false;
    switch (query_.kind) {
        case TraceQuery::Kind::message_id:
            match = id == query_.value;
            break;
        case TraceQuery::Kind::address:
            match = !view->mark.empty() && address_matches(view->address);
            break;
        case TraceQuery::Kind::client_ip:
            match = view->mark == "<=" && ascii_lowercase(client_ip_of(view->rest)) == query_.value;
            break;
    }
    if (match && !ids_.contains(id)) ids_.emplace(id);
    // A failed message's bounce is a message of its own, announced as
    // "bounce <bounce id> queued for <sender>" (queue/bouncer.cpp): follow it.
    if (view->mark.empty() && view->rest.starts_with("bounce ") && ids_.contains(view->id)) {
        TokenCursor words(view->rest.substr(7));
        auto bounce_id = words.next();
        if (bounce_id && words.next() == "queued" && !ids_.contains(*bounce_id)) {
            ids_.emplace(*bounce_id);
        }
    }
}

void Trace::collect(std::string_view line) {
    auto view = split_main_log_line(line);
    if (!view || !ids_.contains(message_of(*view))) return;
    lines_.push_back({std::string(view->ts), "mainlog", std::string(line)});
    if (view->mark == "<=") note_session(view->ts, client_ip_of(view->rest));
}

void Trace::note_session(std::string_view ts, std::string_view raw_ip) {
    auto arrival = parse_iso8601(ts);
    auto ip = parse_value(raw_ip);
    if (!arrival || !ip || ip->empty()) return;
    std::pair window{iso8601_utc(*arrival - kSessionWindow), std::string(ts)};
    auto& windows = sessions_[ascii_lowercase(*ip)];
    // Arrivals come in time order, so this nearly always appends.
    windows.insert(std::upper_bound(windows.begin(), windows.end(), window), std::move(window));
}

bool Trace::reject_matches(std::string_view ts, std::string_view ip,
                           std::string_view command) const {
    if (query_.kind == TraceQuery::Kind::address &&
        ascii_lowercase(command).find("<" + (query_.value == "<>" ? "" : query_.value) + ">") !=
            std::string::npos) {
        return true;
    }
    auto client = ascii_lowercase(ip);
    if (query_.kind == TraceQuery::Kind::client_ip && client == query_.value) return true;
    auto sessions = sessions_.find(client);
    if (sessions == sessions_.end()) return false;
    // Every window is as long as the next, so only the last one to open by `ts` can hold it.
    const auto& windows = sessions->second;
    auto after =
        std::upper_bound(windows.begin(), windows.end(), ts,
                         [](std::string_view t, const auto& window) { return t < window.first; });
    return after != windows.begin() && ts <= std::prev(after)->second;
}

void Trace::collect_reject(std::string_view line) {
    auto parsed = parse_reject_log_line(line);
    if (!parsed) return;
    const std::string* ip = parsed->field("ip");
    if (reject_matches(parsed->ts, ip ? *ip : std::string(), *parsed->field("command"))) {
        lines_.push_back({parsed->ts, "rejectlog", std::string(line)});
    }
}

std::vector<TracedLine> Trace::lines() const {
    auto sorted = lines_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const TracedLine& a, const TracedLine& b) {
        if (a.ts != b.ts) return a.ts < b.ts;
        // A session's refusals come before the arrival they preceded, even within a
        // millisecond.
        return a.log > b.log;  // "rejectlog" before "mainlog"
    });
    return sorted;
}

}  // namespace herald::log
