#pragma once
// [cluster] password_file: Redis' password kept out of the config file, which more people
// read than should know it. The file must be Herald's alone, as a private key must.
#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace herald::state {

// The first line of the file, without its line ending.
Result<std::string> read_password_file(const std::filesystem::path& path);

}  // namespace herald::state
