#include "tlsrpt/tls_counts.hpp"

#include <boost/json.hpp>

namespace herald::tlsrpt {

namespace json = boost::json;

namespace {

std::vector<std::string> strings_of(const json::value& value) {
    std::vector<std::string> out;
    for (const auto& element : value.as_array()) out.emplace_back(element.as_string());
    return out;
}

json::object policy_json(const PolicyCounts& policy) {
    json::array failures;
    for (const auto& [kind, count] : policy.failures) {
        failures.push_back(json::object{{"result_type", kind.result_type},
                                        {"sending_ip", kind.sending_ip},
                                        {"receiving_mx", kind.receiving_mx},
                                        {"receiving_ip", kind.receiving_ip},
                                        {"count", count}});
    }
    return {{"type", policy.type},
            {"strings", json::array(policy.strings.begin(), policy.strings.end())},
            {"mx_hosts", json::array(policy.mx_hosts.begin(), policy.mx_hosts.end())},
            {"successes", policy.successes},
            {"failures", std::move(failures)}};
}

PolicyCounts policy_of(const json::object& object) {
    PolicyCounts policy{.type = std::string(object.at("type").as_string()),
                        .strings = strings_of(object.at("strings")),
                        .mx_hosts = strings_of(object.at("mx_hosts")),
                        .successes = object.at("successes").to_number<std::uint64_t>()};
    for (const auto& element : object.at("failures").as_array()) {
        const auto& failure = element.as_object();
        FailureKind kind{std::string(failure.at("result_type").as_string()),
                         std::string(failure.at("sending_ip").as_string()),
                         std::string(failure.at("receiving_mx").as_string()),
                         std::string(failure.at("receiving_ip").as_string())};
        policy.failures[std::move(kind)] = failure.at("count").to_number<std::uint64_t>();
    }
    return policy;
}

}  // namespace

std::uint64_t PolicyCounts::failure_total() const {
    std::uint64_t total = 0;
    for (const auto& [kind, count] : failures) total += count;
    return total;
}

// The domain's entry for the policy, made when new; null past the bounds.
PolicyCounts* TlsCounts::policy_for(const std::string& domain, PolicyCounts&& policy) {
    auto it = domains_.find(domain);
    if (it == domains_.end()) {
        if (domains_.size() >= kMaxDomains) return nullptr;
        it = domains_.emplace(domain, std::vector<PolicyCounts>{}).first;
    }
    for (auto& known : it->second) {
        if (known.same_policy(policy)) return &known;
    }
    return &it->second.emplace_back(std::move(policy));
}

void TlsCounts::add(const delivery::TlsSession& session) {
    PolicyCounts* policy =
        policy_for(session.domain, {.type = std::string(policy_type(session.policy)),
                                    .strings = session.policy_strings,
                                    .mx_hosts = session.mx_hosts});
    if (policy == nullptr) {
        ++dropped_;
        return;
    }
    if (!session.failure) {
        ++policy->successes;
        return;
    }
    FailureKind kind{std::string(delivery::result_type(*session.failure)), session.sending_ip,
                     session.receiving_mx, session.receiving_ip};
    auto found = policy->failures.find(kind);
    if (found != policy->failures.end()) {
        ++found->second;
    } else if (policy->failures.size() < kMaxFailureKinds) {
        policy->failures.emplace(std::move(kind), 1);
    } else {
        ++dropped_;
    }
}

void TlsCounts::merge(const TlsCounts& other) {
    for (const auto& [domain, policies] : other.domains_) {
        for (const auto& counts : policies) {
            PolicyCounts* policy = policy_for(
                domain,
                {.type = counts.type, .strings = counts.strings, .mx_hosts = counts.mx_hosts});
            if (policy == nullptr) {
                dropped_ += counts.successes + counts.failure_total();
                continue;
            }
            policy->successes += counts.successes;
            for (const auto& [kind, count] : counts.failures) policy->failures[kind] += count;
        }
    }
    dropped_ += other.dropped_;
}

json::value TlsCounts::to_json() const {
    json::object domains;
    for (const auto& [domain, policies] : domains_) {
        json::array list;
        for (const auto& policy : policies) list.push_back(policy_json(policy));
        domains[domain] = std::move(list);
    }
    return json::object{{"domains", std::move(domains)}, {"dropped", dropped_}};
}

Result<TlsCounts> TlsCounts::from_json(const json::value& value) {
    try {
        TlsCounts counts;
        const auto& object = value.as_object();
        for (const auto& [domain, policies] : object.at("domains").as_object()) {
            auto& list = counts.domains_[std::string(domain)];
            for (const auto& policy : policies.as_array()) {
                list.push_back(policy_of(policy.as_object()));
            }
        }
        counts.dropped_ = object.at("dropped").to_number<std::uint64_t>();
        return counts;
    } catch (const std::exception& e) {
        return Error{std::string("not TLS-RPT counts: ") + e.what()};
    }
}

}  // namespace herald::tlsrpt
