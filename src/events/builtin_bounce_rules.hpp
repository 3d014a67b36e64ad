#pragma once
// config/bounce_rules.toml as compiled into the binary (CMake writes the definition): the
// rules that give each failure its bounce category unless [bounces] rules names a file.
#include <string_view>

namespace herald::events {

std::string_view builtin_bounce_rules_toml();

}  // namespace herald::events
