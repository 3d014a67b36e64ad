#include "admin/report_endpoints.hpp"

#include <boost/json/object.hpp>

#include "admin/api_responses.hpp"
#include "base/ascii_case.hpp"

namespace herald::admin {

namespace {

// The files that could not be read: the answer is still given, with what was readable.
boost::json::array unreadable(const std::vector<std::string>& errors) {
    boost::json::array out;
    for (const auto& e : errors) out.emplace_back(e);
    return out;
}

std::vector<std::string> split_zones(const std::string& text) {
    std::vector<std::string> zones;
    for (std::size_t start = 0; start <= text.size();) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) zones.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return zones;
}

}  // namespace

std::variant<log::SummaryOptions, HttpResponse> summary_request(
    const QueryString& params, std::chrono::system_clock::time_point now) {
    log::SummaryOptions options;
    if (auto since = params.get("since")) {
        auto timestamp = log::since_timestamp(*since, now);
        if (!timestamp) return json_error(400, "since must be a duration (1h, 2d) or an ISO time");
        options.since = *timestamp;
    }
    if (auto sender = params.get("sender")) {
        if (!log::valid_sender_pattern(*sender)) {
            return json_error(400, "sender must be an address, *@domain or <>");
        }
        options.sender = *sender;
    }
    return options;
}

std::variant<log::TraceQuery, HttpResponse> trace_request(const QueryString& params) {
    auto text = params.get("q");
    if (!text) return json_error(400, "q is required: a message id, an address or an IP");
    auto query = log::TraceQuery::parse(*text);
    if (!query) return json_error(400, "q is not a message id, an address or an IP address");
    return *query;
}

std::variant<doctor::DoctorInput, HttpResponse> doctor_request(const QueryString& params) {
    doctor::DoctorInput input;
    input.domain = ascii_lowercase(params.get("domain").value_or(""));
    input.ip = params.get("ip").value_or("");
    input.helo = params.get("helo").value_or("");
    input.selector = params.get("selector").value_or("");
    input.ip_lists = split_zones(params.get("rbl").value_or(""));
    input.domain_lists = split_zones(params.get("dbl").value_or(""));
    if (auto problem = doctor::input_problem(input)) return json_error(400, *problem);
    return input;
}

HttpResponse summary_response(const log::SummaryScan& scan, const log::SummaryOptions& options) {
    if (!scan.found) return json_error(404, "no mainlog yet");
    boost::json::object body = log::summary_json(scan.report, options.since);
    body["unreadable"] = unreadable(scan.errors);
    return json_response(body);
}

HttpResponse trace_response(const log::TraceScan& scan) {
    if (!scan.found) return json_error(404, "no mainlog or rejectlog yet");
    return json_response(boost::json::object{{"lines", log::trace_json(scan.lines)},
                                             {"unreadable", unreadable(scan.errors)}});
}

HttpResponse doctor_response(const std::vector<doctor::Finding>& findings) {
    return json_response(boost::json::object{{"findings", doctor::to_json(findings)},
                                             {"failed", doctor::any_failure(findings)}});
}

}  // namespace herald::admin
