#pragma once
// `herald spf check --ip IP --sender ADDR [--helo NAME] [--dns-fixture F]` (SPEC.md): the
// RFC 7208 result on the first line, then the deciding domain, mechanism, explanation or
// problem. Exit 0 on pass, 1 on any other result, 2 on misuse.
#include "cli/app.hpp"

namespace herald::cli {
void add_spf_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}
