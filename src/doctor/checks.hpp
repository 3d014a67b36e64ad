#pragma once
// The checks of `herald doctor`, each over a dns::Resolver: the network, or a fixture file
// for "what-if" runs on records not yet published. Each returns its findings with advice.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "doctor/finding.hpp"
#include "doctor/tls_probe.hpp"

namespace herald::doctor {

struct DoctorInput {
    std::string domain;
    std::string ip;                         // the sending address; "" when not given
    std::string helo;                       // the name said in EHLO; "" when not known
    std::string selector;                   // a DKIM selector to check; "" when not given
    std::vector<config::DkimKey> keys;      // the configured keys, checked against DNS
    std::vector<std::string> ip_lists;      // DNSBL zones the IP is looked up in
    std::vector<std::string> domain_lists;  // domain block lists the domain is looked up in
    std::optional<TlsTarget> tls;           // a server whose TLS to check
    TlsProbeOptions tls_options;
};

boost::asio::awaitable<std::vector<Finding>> check_spf(dns::Resolver& resolver,
                                                       const DoctorInput& input);
boost::asio::awaitable<std::vector<Finding>> check_dkim(dns::Resolver& resolver,
                                                        const DoctorInput& input);
boost::asio::awaitable<std::vector<Finding>> check_dmarc(dns::Resolver& resolver,
                                                         const DoctorInput& input);
boost::asio::awaitable<std::vector<Finding>> check_mx(dns::Resolver& resolver,
                                                      const DoctorInput& input);
// FCrDNS of the IP, and whether the HELO name is an FQDN equal to that rDNS name.
boost::asio::awaitable<std::vector<Finding>> check_reverse_dns(dns::Resolver& resolver,
                                                               const DoctorInput& input);
boost::asio::awaitable<std::vector<Finding>> check_block_lists(dns::Resolver& resolver,
                                                               const DoctorInput& input);

// What is wrong with a user's input (command-line options, API parameters), naming the
// field: "domain 'x' is not a domain name"; nullopt when it can be checked as it is.
std::optional<std::string> input_problem(const DoctorInput& input);

// Every check above, in that order, then TLS when a target is given.
boost::asio::awaitable<std::vector<Finding>> run_doctor(dns::Resolver& resolver,
                                                        const DoctorInput& input);

}  // namespace herald::doctor
