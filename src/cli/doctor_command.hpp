#pragma once
// `herald doctor`: the deliverability report of a domain (doctor/checks.hpp).
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace herald::cli {

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
