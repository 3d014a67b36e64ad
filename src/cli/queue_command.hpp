#pragma once
#include "cli/app.hpp"

namespace herald::cli {
void add_queue_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

// `herald queue list` without options: what `mailq` and `sendmail -bp` print.
int print_mail_queue(const GlobalOptions& global);
}  // namespace herald::cli
