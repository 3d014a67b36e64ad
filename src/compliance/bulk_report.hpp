#pragma once
// `herald doctor --bulk --domain D`: the compliance gate's rules (bulk_rules.hpp) judged for a
// sender domain rather than a message: would D's bulk mail, sent through this configuration
// from this address, meet the providers' rules? The facts come from DNS as it is now, the
// config (keys, [unsubscribe], routes) and the counts of the last 7 days in the spool.
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <string>
#include <vector>

#include "compliance/bulk_rules.hpp"
#include "compliance/sender_volume.hpp"
#include "config/config.hpp"
#include "dns/resolver.hpp"

namespace herald::compliance {

struct BulkReportInput {
    std::string domain;
    std::string ip;                          // the sending address; "" when not known
    std::string helo;                        // the name said in EHLO
    const config::Config* config = nullptr;  // defaults when there is none
    SenderVolume volume;                     // <spool>/compliance.json
};

boost::asio::awaitable<std::vector<RuleVerdict>> bulk_report(dns::Resolver& resolver,
                                                             const BulkReportInput& input);

// "FAIL one-click-unsubscribe: detail; fix: ... (Google, Yahoo)", one line per rule.
std::string report_text(const std::vector<RuleVerdict>& verdicts);
boost::json::array report_json(const std::vector<RuleVerdict>& verdicts);

}  // namespace herald::compliance
