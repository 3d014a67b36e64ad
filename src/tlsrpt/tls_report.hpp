#pragma once
// One aggregate report (RFC 8460 4): a policy domain's sessions over a period, as JSON; gzip
// for the wire (5.2); and the mail that carries it (5.3). Pure.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tlsrpt/tls_counts.hpp"

namespace herald::tlsrpt {

struct ReportingOrganization {
    std::string name;       // "organization-name"
    std::string contact;    // "contact-info"
    std::string submitter;  // our host name: TLS-Report-Submitter, the file name
    std::string from;       // the report mail's From: and envelope sender
};

struct ReportPeriod {
    std::chrono::system_clock::time_point start;
    std::chrono::system_clock::time_point end;
};

struct Report {
    std::string domain;
    std::string id;    // "report-id": unique per report
    std::string json;  // RFC 8460 4.4
};

// RFC 3339, to the second: "2026-12-03T00:00:00Z".
std::string report_time(std::chrono::system_clock::time_point t);

Report make_report(const ReportingOrganization& us, const ReportPeriod& period,
                   const std::string& domain, const std::vector<PolicyCounts>& policies);

// RFC 1952, as "application/tlsrpt+gzip" wants it.
std::string gzip(std::string_view data);

// RFC 8460 5.1: "submitter!policy-domain!begin!end!id.json.gz", times in unix seconds.
std::string report_file_name(const ReportingOrganization& us, const ReportPeriod& period,
                             const Report& report);

// RFC 8460 5.3: multipart/report; report-type="tlsrpt", with the gzip'd report attached.
std::string report_mail(const ReportingOrganization& us, const ReportPeriod& period,
                        const Report& report, std::string_view to,
                        std::chrono::system_clock::time_point now);

}  // namespace herald::tlsrpt
