#pragma once
#include <filesystem>
#include <optional>

#include "config/config.hpp"

namespace herald::cli {

// Loads the config; on failure prints every "file:line: what is wrong" line to stderr.
std::optional<config::Config> load_config_or_report(const std::filesystem::path& path);

// The same, and a config that could take no mail (no [[listener]]: an emptied file) is
// refused too: for serve and check-config. `herald reload` leaves that to the server, which
// applies it when forced (reload_guard.hpp).
std::optional<config::Config> load_serving_config_or_report(const std::filesystem::path& path);

}  // namespace herald::cli
