#include "cli/doctor_command.hpp"

#include <fmt/core.h>
#include <boost/json.hpp>

#include <memory>

#include "base/ascii_case.hpp"
#include "cli/command_resolver.hpp"
#include "compliance/bulk_report.hpp"
#include "doctor/checks.hpp"

namespace herald::cli {

namespace {

struct DoctorOptions {
    std::string domain;
    std::string ip;
    std::string helo;
    std::string selector;
    std::vector<std::string> rbl;
    std::vector<std::string> dbl;
    std::string tls;
    std::string ca_file;
    bool json = false;
    bool bulk = false;
};

// --bulk: the providers' bulk-sender rules for the domain, as the compliance gate judges them.
int run_bulk_doctor(const GlobalOptions& global, const DoctorOptions& o) {
    compliance::BulkReportInput input{.domain = ascii_lowercase(o.domain), .ip = o.ip};
    // The same checks of the options as the report without --bulk.
    if (auto problem = doctor::input_problem({.domain = input.domain, .ip = o.ip})) {
        return usage_error("doctor", "--" + *problem);
    }
    auto loaded = config::load_file(global.config);
    if (loaded.config) {
        input.config = &*loaded.config;
        input.helo = loaded.config->server.hostname;
        if (input.ip.empty()) input.ip = loaded.config->preflight.ip;
        const auto path = loaded.config->server.spool_dir / "compliance.json";
        auto volume = compliance::SenderVolume::load(path, std::chrono::system_clock::now());
        if (!volume) {
            fmt::print(stderr, "herald doctor: {} (complaint rate not known)\n", volume.error());
        } else {
            input.volume = std::move(*volume);
        }
    }
    if (!o.helo.empty()) input.helo = o.helo;
    boost::asio::io_context io;
    auto resolver = command_resolver(io, global);
    if (!resolver) return usage_error("doctor", resolver.error());
    const auto verdicts = run_to_completion(io, compliance::bulk_report(**resolver, input));
    if (o.json) {
        fmt::print("{}\n", boost::json::serialize(compliance::report_json(verdicts)));
    } else {
        fmt::print("{}", compliance::report_text(verdicts));
    }
    return compliance::failed_rules(verdicts).empty() ? kExitOk : kExitFailure;
}

int run_doctor(const GlobalOptions& global, const DoctorOptions& o) {
    if (o.bulk) return run_bulk_doctor(global, o);
    doctor::DoctorInput input{.domain = ascii_lowercase(o.domain),
                              .ip = o.ip,
                              .helo = o.helo,
                              .selector = o.selector,
                              .ip_lists = o.rbl,
                              .domain_lists = o.dbl};
    if (auto problem = doctor::input_problem(input)) return usage_error("doctor", "--" + *problem);
    if (!o.tls.empty()) {
        auto target = doctor::parse_tls_target(o.tls);
        if (!target) return usage_error("doctor", "--tls: " + target.error());
        input.tls = *target;
    }
    input.tls_options.ca_file = o.ca_file;
    // The configured keys and hostname, when there is a valid config: the keys' DNS state is
    // what decides whether Herald signs, the hostname is what it says in EHLO.
    if (auto loaded = config::load_file(global.config); loaded.config) {
        input.keys = loaded.config->dkim_keys;
        if (input.helo.empty()) input.helo = loaded.config->server.hostname;
    }
    if (!input.helo.empty()) input.tls_options.helo = input.helo;
    boost::asio::io_context io;
    auto resolver = command_resolver(io, global);
    if (!resolver) return usage_error("doctor", resolver.error());
    auto findings = run_to_completion(io, doctor::run_doctor(**resolver, input));
    if (o.json) {
        fmt::print("{}\n", boost::json::serialize(doctor::to_json(findings)));
    } else {
        fmt::print("{}", doctor::to_text(findings));
    }
    return doctor::any_failure(findings) ? kExitFailure : kExitOk;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "doctor",
        "The deliverability report: SPF, DKIM, DMARC, MX, FCrDNS, HELO, block lists, TLS");
    auto o = std::make_shared<DoctorOptions>();
    cmd->add_option("--domain", o->domain, "the domain mail is sent from")->required();
    cmd->add_option("--ip", o->ip, "the address mail leaves from (checked against SPF)");
    cmd->add_option("--helo", o->helo, "the name Herald says in EHLO");
    cmd->add_option("--selector", o->selector, "a DKIM selector to check");
    cmd->add_option("--rbl", o->rbl, "DNS block lists to look the IP up in, comma-separated")
        ->delimiter(',');
    cmd->add_option("--dbl", o->dbl, "domain block lists to look the domain up in")->delimiter(',');
    cmd->add_option("--tls", o->tls,
                    "HOST:PORT whose TLS to check: STARTTLS, or TLS at once on port 465 or "
                    "with smtps://HOST:PORT");
    cmd->add_option("--ca-file", o->ca_file,
                    "PEM certificates trusted beside the system's CAs for --tls");
    cmd->add_flag("--json", o->json, "the findings as JSON");
    cmd->add_flag("--bulk", o->bulk,
                  "the big providers' rules for bulk senders instead: authentication, DMARC, "
                  "one-click unsubscribe, reverse DNS, TLS, complaint rate");
    cmd->callback([&global, &exit_code, o] { exit_code = run_doctor(global, *o); });
}

}  // namespace herald::cli
