#include "cli/dkim_command.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/command_resolver.hpp"
#include "cli/sendmail_command.hpp"
#include "mailauth/dkim/keygen.hpp"
#include "mailauth/dkim/signer.hpp"
#include "mailauth/dkim/verifier.hpp"

namespace herald::cli {

namespace {

namespace dkim = mailauth::dkim;

struct KeygenOptions {
    std::string domain;
    std::string selector;
    std::string algorithm = "rsa-sha256";
    int bits = 2048;
    std::filesystem::path out = ".";
};

struct SignCommandOptions {
    std::string domain;
    std::string selector;
    std::filesystem::path key;
    std::string headers;  // h1:h2
};

// The message on stdin, with CRLF line endings as it would travel (and be signed).
std::string read_message() {
    return read_sendmail_message(std::cin, false);
}

std::vector<std::string> split_header_list(const std::string& list) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(':', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) names.push_back(list.substr(start, end - start));
        start = end + 1;
    }
    return names;
}

int run_keygen(const KeygenOptions& o, bool bits_given) {
    const auto algorithm = dkim::parse_algorithm(o.algorithm);
    if (!algorithm) return usage_error("dkim", "--algorithm must be rsa-sha256 or ed25519-sha256");
    if (bits_given && *algorithm != dkim::Algorithm::rsa_sha256) {
        return usage_error("dkim", "--bits applies to rsa-sha256 keys only");
    }
    // They become a file name too: no '/' or ".." gets through.
    if (!dkim::valid_dns_name(o.domain))
        return usage_error("dkim", "bad domain \"" + o.domain + "\"");
    if (!dkim::valid_dns_name(o.selector))
        return usage_error("dkim", "bad selector \"" + o.selector + "\"");
    auto key = dkim::PrivateKey::generate(*algorithm, o.bits);
    if (!key) return usage_error("dkim", key.error());
    // `--out keys` on a fresh clone (the README's tour): the directory is made, 0700 since
    // it holds secret keys.
    std::error_code ec;
    if (!std::filesystem::exists(o.out, ec)) {
        std::filesystem::create_directories(o.out, ec);
        if (!ec) std::filesystem::permissions(o.out, std::filesystem::perms::owner_all, ec);
        if (ec) {
            fmt::print(stderr, "herald dkim keygen: cannot make {}: {}\n", o.out.string(),
                       ec.message());
            return kExitFailure;
        }
    }
    const std::filesystem::path file = o.out / (o.domain + "." + o.selector + ".key");
    if (auto written = dkim::write_private_key(*key, file); !written) {
        return usage_error("dkim", written.error());
    }
    const std::string kind = *algorithm == dkim::Algorithm::rsa_sha256
                                 ? fmt::format("rsa-sha256, {} bits", key->bits())
                                 : o.algorithm;
    fmt::print(stderr, "wrote {} ({}); publish this record:\n", file.string(), kind);
    fmt::print("{}\n", dkim::zone_file_record(o.selector, o.domain, key->record_text()));
    return kExitOk;
}

int run_sign(const SignCommandOptions& o) {
    auto key = dkim::PrivateKey::load_file(o.key);
    if (!key) return usage_error("dkim", key.error());
    auto signer = dkim::Signer::create(o.selector, std::move(*key));
    if (!signer) return usage_error("dkim", signer.error());
    const std::string message = read_message();
    if (message.empty()) return usage_error("dkim", "no message on standard input");
    dkim::SignOptions options;
    options.headers = split_header_list(o.headers);
    auto field = signer->sign(message, o.domain, options);
    if (!field) return usage_error("dkim", field.error());
    std::cout << *field << message;
    std::cout.flush();
    return std::cout ? kExitOk : kExitFailure;
}

int run_verify(const GlobalOptions& global) {
    boost::asio::io_context io;
    auto resolver = command_resolver(io, global);
    if (!resolver) return usage_error("dkim", resolver.error());
    const std::string message = read_message();
    if (message.empty()) return usage_error("dkim", "no message on standard input");
    const auto results = run_to_completion(
        io, dkim::verify_message(message, **resolver, std::int64_t{std::time(nullptr)}));
    if (results.empty()) {
        fmt::print("dkim=none (no DKIM-Signature)\n");
        return kExitFailure;
    }
    bool all_pass = true;
    for (const auto& result : results) {
        fmt::print("{}\n", result.to_line());
        all_pass = all_pass && result.outcome == dkim::Outcome::pass;
    }
    return all_pass ? kExitOk : kExitFailure;
}

void add_keygen(CLI::App& dkim_cmd, int& exit_code) {
    auto* cmd =
        dkim_cmd.add_subcommand("keygen", "Generate a key; print the TXT record to publish");
    auto o = std::make_shared<KeygenOptions>();
    cmd->add_option("--domain", o->domain, "signing domain (d=)")->required();
    cmd->add_option("--selector", o->selector, "selector (s=)")->required();
    cmd->add_option("--algorithm", o->algorithm, "rsa-sha256 or ed25519-sha256")
        ->capture_default_str();
    auto* bits = cmd->add_option("--bits", o->bits, "RSA key size")->capture_default_str();
    cmd->add_option("--out", o->out, "directory for <domain>.<selector>.key")
        ->capture_default_str();
    cmd->callback([o, bits, &exit_code] { exit_code = run_keygen(*o, bits->count() > 0); });
}

void add_sign(CLI::App& dkim_cmd, int& exit_code) {
    auto* cmd = dkim_cmd.add_subcommand("sign", "Print the message on stdin with a DKIM-Signature");
    auto o = std::make_shared<SignCommandOptions>();
    cmd->add_option("--domain", o->domain, "signing domain (d=)")->required();
    cmd->add_option("--selector", o->selector, "selector (s=)")->required();
    cmd->add_option("--key", o->key, "private key file (PEM)")->required();
    cmd->add_option("--headers", o->headers,
                    "header fields to sign, h1:h2 (default: From, To, ...)");
    cmd->callback([o, &exit_code] { exit_code = run_sign(*o); });
}

void add_verify(CLI::App& dkim_cmd, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        dkim_cmd.add_subcommand("verify", "Verify every DKIM-Signature of the message on stdin");
    cmd->callback([&global, &exit_code] { exit_code = run_verify(global); });
}

}  // namespace

void add_dkim_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("dkim", "DKIM keys, signing and verification");
    cmd->require_subcommand(1);
    add_keygen(*cmd, exit_code);
    add_sign(*cmd, exit_code);
    add_verify(*cmd, global, exit_code);
}

}  // namespace herald::cli
