#pragma once
// The files `herald serve` loads beside the config, checked as serve loads them: every
// [[dkim.key]] (readable by its owner only, parses, strong enough) and the [tls] certificate
// and key (load, and match each other). check-config and serve print every problem, not the
// first; a reload is refused with them.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace herald::net {

// "file:0: what" per problem, the file being the config's; empty when all load.
std::vector<std::string> serving_file_problems(const config::Config& config);

}  // namespace herald::net
