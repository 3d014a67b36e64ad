#pragma once
// Rotation by renaming, as logrotate does: mainlog.N goes to mainlog.N+1 (the oldest beyond
// `keep` is removed), mainlog to mainlog.1; the writer then reopens mainlog. Lines written
// between the rename and the reopen land in mainlog.1, so none is lost. herald summary and
// trace read the generations back in order (log_reader.hpp), plain or gzip'd.
#include <cstddef>
#include <filesystem>

#include "base/result.hpp"

namespace herald::log {

Status shift_generations(const std::filesystem::path& path, std::size_t keep);

}  // namespace herald::log
