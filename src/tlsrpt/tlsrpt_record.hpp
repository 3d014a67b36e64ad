#pragma once
// RFC 8460 3: the TXT record at `_smtp._tls.<domain>` says where the domain wants its TLS
// reports: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/tlsrpt".
// Pure.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::tlsrpt {

struct ReportDestination {
    enum class Kind { mail, https };
    Kind kind = Kind::mail;
    std::string where;  // mail: the address; https: the URL

    bool operator==(const ReportDestination&) const = default;
};

// The destinations among the TXT strings of `_smtp._tls.<domain>`. Strings that do not start
// with "v=TLSRPTv1" are not about TLS-RPT; several that do, or one without a usable rua, is an
// error (RFC 8460 3: then no report is sent). Other schemes than mailto: and https: are
// passed over, as the RFC asks.
Result<std::vector<ReportDestination>> find_report_destinations(
    const std::vector<std::string>& txt);

}  // namespace herald::tlsrpt
