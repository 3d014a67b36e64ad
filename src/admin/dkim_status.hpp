#pragma once
// GET /api/dkim: each configured DKIM key, the TXT record to publish for it, and whether DNS
// carries it. The verdict is the doctor's (doctor::check_dkim, as `herald doctor` gives it),
// so the console and the command never disagree about a key.
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "doctor/finding.hpp"

namespace herald::admin {

struct DkimKeyStatus {
    config::DkimKey key;
    std::string algorithm;  // "rsa-sha256" or "ed25519-sha256"; "" when the key is unreadable
    std::string record;     // "v=DKIM1; k=rsa; p=...", as published
    std::string zone_line;  // the same as a zone-file line, split into 255-octet strings
    std::string error;      // why the key file could not be read
    // The doctor's finding for this key; nullopt for a key of every domain ("*"), whose
    // records are checked per sender domain (GET /api/doctor).
    std::optional<doctor::Finding> dns;
};

boost::asio::awaitable<std::vector<DkimKeyStatus>> dkim_statuses(
    dns::Resolver& resolver, const std::vector<config::DkimKey>& keys);

// [{domain, selector, private_key, algorithm, record, zone_line, error, dns: {level, check,
// detail} | null}, ...]
boost::json::array dkim_json(const std::vector<DkimKeyStatus>& statuses);

}  // namespace herald::admin
