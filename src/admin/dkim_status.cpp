#include "admin/dkim_status.hpp"

#include "doctor/checks.hpp"
#include "mailauth/dkim/keygen.hpp"
#include "mailauth/dkim/private_key.hpp"

namespace herald::admin {

namespace asio = boost::asio;

asio::awaitable<std::vector<DkimKeyStatus>> dkim_statuses(
    dns::Resolver& resolver, const std::vector<config::DkimKey>& keys) {
    std::vector<DkimKeyStatus> out;
    for (const auto& key : keys) {
        DkimKeyStatus status{.key = key};
        if (auto loaded = mailauth::dkim::PrivateKey::load_file(key.private_key)) {
            status.algorithm = mailauth::dkim::to_string(loaded->algorithm());
            status.record = loaded->record_text();
            // A key of every domain ("*") is published under each domain it signs for.
            if (key.domain != "*") {
                status.zone_line =
                    mailauth::dkim::zone_file_record(key.selector, key.domain, status.record);
            }
        } else {
            status.error = loaded.error();
        }
        if (key.domain != "*") {
            doctor::DoctorInput input{.domain = key.domain, .keys = {key}};
            auto findings = co_await doctor::check_dkim(resolver, input);
            if (!findings.empty()) status.dns = findings.front();
        }
        out.push_back(std::move(status));
    }
    co_return out;
}

boost::json::array dkim_json(const std::vector<DkimKeyStatus>& statuses) {
    boost::json::array out;
    for (const auto& s : statuses) {
        boost::json::value dns = nullptr;
        if (s.dns) dns = doctor::to_json({*s.dns}).at(0);
        out.push_back({{"domain", s.key.domain},
                       {"selector", s.key.selector},
                       {"private_key", s.key.private_key.string()},
                       {"algorithm", s.algorithm},
                       {"record", s.record},
                       {"zone_line", s.zone_line},
                       {"error", s.error},
                       {"dns", dns}});
    }
    return out;
}

}  // namespace herald::admin
