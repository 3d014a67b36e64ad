#pragma once
// Times given by people to select log lines (`herald summary --since`), read as ISO 8601.
#include <chrono>
#include <optional>
#include <string_view>

namespace herald::log {

// "2026-11-22", "2026-11-22T20:55", "2026-11-22T20:55:49", with optional fraction
// (".123") and zone ("Z", "+02:00", "-0500"); a space may stand for the "T". Without a zone
// the time is UTC, as in the logs. nullopt for anything else, or a date that does not exist.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

}  // namespace herald::log
