#pragma once
// The summary, trace and doctor endpoints of the admin API: their parameters read from the
// query string (or the 400 that says what is wrong), and their answers built. Pure; the
// server reads the logs and runs the checks in between.
#include <chrono>
#include <variant>

#include "admin/http_types.hpp"
#include "admin/query_string.hpp"
#include "doctor/checks.hpp"
#include "log/log_views.hpp"

namespace herald::admin {

// since= (30m, 1h, 2d or an ISO 8601 time) and sender= (an address, *@domain or <>).
std::variant<log::SummaryOptions, HttpResponse> summary_request(
    const QueryString& params, std::chrono::system_clock::time_point now);
// q= (a message id, an address or a client IP).
std::variant<log::TraceQuery, HttpResponse> trace_request(const QueryString& params);
// domain= (required), ip=, helo=, selector=, rbl= and dbl= (comma-separated zones).
std::variant<doctor::DoctorInput, HttpResponse> doctor_request(const QueryString& params);

HttpResponse summary_response(const log::SummaryScan& scan, const log::SummaryOptions& options);
HttpResponse trace_response(const log::TraceScan& scan);
HttpResponse doctor_response(const std::vector<doctor::Finding>& findings);

}  // namespace herald::admin
