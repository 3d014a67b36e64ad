#pragma once
// Small state files that counters survive a restart in (rate limits, traffic shaping): written
// whole to a temporary name and renamed over the old one, so that a crash leaves the old
// state or the new, never half of one. Not synced: losing the last seconds of counts to a
// power cut is acceptable; losing the whole file is not.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace herald {

Status replace_file(const std::filesystem::path& path, std::string_view text);
// nullopt when it cannot be read (most often: it does not exist yet).
std::optional<std::string> read_state_file(const std::filesystem::path& path);

}  // namespace herald
