#pragma once
// config/shaping.toml as compiled into the binary (CMake writes the definition): the
// built-in mailbox providers every config starts from, before its own [[provider]] tables.
#include <string_view>

namespace herald::config {

std::string_view builtin_shaping_toml();

}  // namespace herald::config
