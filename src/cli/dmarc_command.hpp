#pragma once
// `herald dmarc check --from-domain D [--spf-domain D --spf-result R] [--dkim-domain D
// --dkim-result R]... [--dns-fixture F]` (SPEC.md): `pass` or `fail` on the first line, then
// the policy that applies and the alignment of each identifier. Exit 0 on pass, 1 on fail,
// 2 on misuse. --dkim-domain/--dkim-result may repeat, one pair per signature.
#include "cli/app.hpp"

namespace herald::cli {
void add_dmarc_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
}
