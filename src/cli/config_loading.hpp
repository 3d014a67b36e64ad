#pragma once
#include <filesystem>
#include <optional>

#include "config/config.hpp"

namespace herald::cli {

// Loads the config; on failure prints every "file:line: what is wrong" line to stderr.
std::optional<config::Config> load_config_or_report(const std::filesystem::path& path);

}  // namespace herald::cli
