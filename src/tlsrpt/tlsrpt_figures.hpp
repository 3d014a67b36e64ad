#pragma once
// What /metrics shows of TLS reporting (RFC 8460, docs/security.md) since the start, taken at
// scrape time from tls_reporter.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace herald::tlsrpt {

struct TlsRptFigures {
    std::uint64_t successful_sessions = 0;  // TLS sessions counted for the reports
    std::uint64_t failed_sessions = 0;
    // Attempts at a report by (how: "mail", "https"; what became of it: "sent" (for mail:
    // queued), "failed", "given_up").
    std::map<std::pair<std::string, std::string>, std::uint64_t> reports;
    std::uint64_t waiting_posts = 0;  // https reports waiting to be tried again
};

}  // namespace herald::tlsrpt
