#include "cli/spf_command.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/command_resolver.hpp"
#include "mailauth/spf/check_host.hpp"
#include "mailauth/spf/ip_address.hpp"

namespace herald::cli {
namespace {

namespace spf = mailauth::spf;

struct SpfCheckOptions {
    std::string ip;
    std::string sender;  // "" for the null reverse-path: HELO is checked
    std::string helo;
};

int run_check(const GlobalOptions& global, const SpfCheckOptions& o) {
    if (!spf::IpAddress::parse(o.ip))
        return usage_error("spf", "--ip '" + o.ip + "' is not an IP address");
    if (o.sender.empty() && o.helo.empty()) {
        return usage_error(
            "spf", "--sender is empty (the null reverse-path): give --helo, the name then checked");
    }
    boost::asio::io_context io;
    auto resolver = command_resolver(io, global);
    if (!resolver) return usage_error("spf", resolver.error());
    const auto result =
        run_to_completion(io, spf::check_mail_from(**resolver, o.ip, o.sender, o.helo));
    fmt::print("{}\n", spf::to_string(result.outcome));
    fmt::print("domain: {}\n", result.domain);
    if (!result.mechanism.empty()) fmt::print("mechanism: {}\n", result.mechanism);
    if (!result.explanation.empty()) fmt::print("explanation: {}\n", result.explanation);
    if (!result.problem.empty()) fmt::print("problem: {}\n", result.problem);
    return result.outcome == spf::Outcome::pass ? kExitOk : kExitFailure;
}

}  // namespace

void add_spf_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* spf_cmd = app.add_subcommand("spf", "SPF (RFC 7208) evaluation");
    spf_cmd->require_subcommand(1);
    auto* check =
        spf_cmd->add_subcommand("check", "Evaluate the SPF record of a sender for a client IP");
    auto o = std::make_shared<SpfCheckOptions>();
    check->add_option("--ip", o->ip, "the client IP address (IPv4 or IPv6)")->required();
    check
        ->add_option("--sender", o->sender,
                     "the MAIL FROM address (\"\" for the null reverse-path)")
        ->required();
    check->add_option("--helo", o->helo, "the HELO/EHLO name");
    check->callback([&global, &exit_code, o] { exit_code = run_check(global, *o); });
}

}  // namespace herald::cli
