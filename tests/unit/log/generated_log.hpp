#pragma once
// A synthetic mainlog with known totals, for the reader, summary and trace tests: each
// message has an arrival, two recipients (delivered, then deferred or bounced or delivered)
// and a Completed line, from one of a few senders, users and client IPs.
#include <fmt/format.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/timestamp.hpp"

namespace herald::log {

inline std::string log_ts(int seconds_after_start) {
    using namespace std::chrono;
    // 2026-11-22T00:00:00Z
    return iso8601_utc(system_clock::time_point{seconds{1795305600LL + seconds_after_start}});
}

struct GeneratedLog {
    std::vector<std::string> lines;
    std::uint64_t messages = 0, recipients = 0, delivered = 0, deferred = 0, bounced = 0;
    std::uint64_t sender0_messages = 0;  // of sender0@example.com
};

inline std::string generated_id(int n) {
    return fmt::format("g{:019}", n);
}

// `messages` messages, 5 lines each, one second apart.
inline GeneratedLog generate_log(int messages) {
    GeneratedLog log;
    log.lines.reserve(static_cast<std::size_t>(messages) * 5);
    for (int n = 0; n < messages; ++n) {
        auto id = generated_id(n);
        auto sender = fmt::format("sender{}@example.com", n % 7);
        std::string user = n % 3 == 0 ? fmt::format(" A=user{}", n % 4) : "";
        auto ts = log_ts(n);
        log.lines.push_back(fmt::format(
            "{} {} <= {} H=client{}.example [192.0.2.{}] P=esmtp S={}{} R=2 T=\"subject {}\"", ts,
            id, sender, n % 11, n % 13, 1000 + n, user, n));
        log.lines.push_back(
            fmt::format("{} {} => rcpt{}@example.net T=mx H=mx.example.net "
                        "C=\"250 2.0.0 ok\"",
                        ts, id, n));
        switch (n % 4) {
            case 0:
                log.lines.push_back(fmt::format(
                    "{} {} == other{}@example.org T=mx H=mx.example.org defer=\"451 4.7.1 later\"",
                    ts, id, n));
                ++log.deferred;
                break;
            case 1:
                log.lines.push_back(fmt::format(
                    "{} {} ** other{}@example.org T=mx H=mx.example.org \"550 5.1.1 unknown\"", ts,
                    id, n));
                ++log.bounced;
                break;
            default:
                log.lines.push_back(
                    fmt::format("{} {} => other{}@example.org T=mx "
                                "H=mx.example.org C=\"250 ok\"",
                                ts, id, n));
                ++log.delivered;
        }
        log.lines.push_back(fmt::format("{} {} Completed", ts, id));
        log.lines.push_back(fmt::format("{} - note {}", ts, n));
        ++log.messages;
        log.recipients += 2;
        ++log.delivered;
        if (n % 7 == 0) ++log.sender0_messages;
    }
    return log;
}

inline void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines,
                        std::size_t from = 0, std::size_t to = SIZE_MAX) {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = from; i < std::min(to, lines.size()); ++i) out << lines[i] << '\n';
}

inline void write_gzip(const std::filesystem::path& path, const std::string& text) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (!file) return;
    if (!text.empty()) gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
    gzclose(file);
}

inline void write_gzip_lines(const std::filesystem::path& path,
                             const std::vector<std::string>& lines, std::size_t from,
                             std::size_t to) {
    std::string text;
    for (std::size_t i = from; i < std::min(to, lines.size()); ++i) text += lines[i] + '\n';
    write_gzip(path, text);
}

}  // namespace herald::log
