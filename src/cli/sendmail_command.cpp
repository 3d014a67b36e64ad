#include "cli/sendmail_command.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "base/address_parts.hpp"
#include "base/ascii_case.hpp"
#include "cli/command_resolver.hpp"
#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"
#include "config/value_formats.hpp"
#include "dns/unbound_resolver.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/signing_keys.hpp"
#include "message/address_list.hpp"
#include "message/header_block.hpp"
#include "queue/intake.hpp"
#include "spool/spool.hpp"

namespace herald::cli {

namespace {

constexpr int kExitTempFail = 75;  // sysexits.h EX_TEMPFAIL: the caller should try again

// Options of sendmail(1) that take a value, given either attached (-fuser) or apart (-f user).
bool takes_value(char option) {
    return option == 'f' || option == 'r' || option == 'F' || option == 'C' || option == 'B' ||
           option == 'N' || option == 'R' || option == 'V' || option == 'X' || option == 'L' ||
           option == 'O' || option == 'h' || option == 'p' || option == 'q';
}

std::string invoking_user() {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
    return "nobody";
}

std::string strip_angles(std::string address) {
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
        return address.substr(1, address.size() - 2);
    }
    return address;
}

}  // namespace

Result<SendmailOptions> parse_sendmail_args(const std::vector<std::string>& args) {
    SendmailOptions options;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--config") {
            if (i + 1 >= args.size()) return Error{"--config needs a file"};
            options.config = args[++i];
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-') break;
        char option = arg[1];
        if (option == 'o') {  // -oi, -odi, -oem, ...: only -oi changes anything here
            if (arg == "-oi") options.dot_ends_message = false;
            continue;
        }
        if (option == 'b' && arg != "-bm") {
            return Error{"sendmail: mode " + arg + " is not supported (only -bm, the default)"};
        }
        if (!takes_value(option)) {
            if (arg.size() == 2 && option == 't') options.recipients_from_headers = true;
            if (arg.size() == 2 && option == 'i') options.dot_ends_message = false;
            continue;  // -t, -i, -v, -m, -bm, -U, ...
        }
        std::string value;
        if (arg.size() > 2) {
            value = arg.substr(2);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return Error{"sendmail: option -" + std::string(1, option) + " needs a value"};
        }
        if (option == 'f' || option == 'r') options.sender = strip_angles(value);
        if (option == 'F') options.full_name = value;
        if (option == 'C') options.config = value;
    }
    for (; i < args.size(); ++i) {
        // "a@x, b@y" in one argument is common from scripts.
        for (auto& part : message::split_address_list(args[i])) {
            options.recipients.push_back(std::move(part));
        }
    }
    return options;
}

std::string read_sendmail_message(std::istream& in, bool dot_ends_message) {
    std::string data;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (dot_ends_message && line == ".") break;
        data += line;
        data += "\r\n";
    }
    return data;
}

namespace {

// The From: domain, or the envelope sender's when the From: the stamp adds will be that.
std::string signing_domain(std::string_view data, std::string_view sender) {
    if (auto domain = mailauth::dkim::author_domain(data)) return *domain;
    if (message::HeaderBlock::parse(data).has("From")) return "";
    return ascii_lowercase(domain_of(sender));
}

// The keys the server would sign with, checked against DNS as the server checks them.
std::vector<mailauth::dkim::SigningChoice> choose_dkim(const config::Config& config,
                                                       mailauth::dkim::Keyring& keys,
                                                       const std::string& domain,
                                                       log::MainLog& mainlog) {
    if (domain.empty()) return {};
    boost::asio::io_context io;
    auto resolver =
        dns::UnboundResolver::create(io.get_executor(), {.servers = config.dns.servers});
    if (!resolver) {
        mainlog.note("dkim: not signing: dns: " + resolver.error());
        return {};
    }
    const mailauth::dkim::Keyring::Note note = [&mainlog](const std::string& line) {
        mainlog.note(line);
    };
    return run_to_completion(io, keys.choose(domain, **resolver, note));
}

}  // namespace

int run_sendmail(const std::vector<std::string>& args, const std::string& config_path) {
    auto parsed = parse_sendmail_args(args);
    if (!parsed) {
        fmt::print(stderr, "herald: {}\n", parsed.error());
        return kExitUsage;
    }
    SendmailOptions& options = *parsed;
    std::string path = !options.config.empty() ? options.config : config_path;
    if (path.empty()) {
        const char* env = std::getenv("HERALD_CONFIG");
        path = env ? env : "config/herald.toml";
    }
    auto config = load_config_or_report(path);
    if (!config) return kExitUsage;

    std::string data = read_sendmail_message(std::cin, options.dot_ends_message);
    message::Envelope envelope;
    envelope.sender =
        options.sender.empty() ? invoking_user() + "@" + config->server.hostname : options.sender;
    envelope.recipients = options.recipients;
    if (options.recipients_from_headers) {
        auto extracted = message::take_recipient_headers(data);  // also drops Bcc:
        envelope.recipients.insert(envelope.recipients.end(), extracted.begin(), extracted.end());
    }
    if (envelope.recipients.empty()) {
        fmt::print(stderr, "herald: sendmail: no recipients given\n");
        return kExitUsage;
    }
    envelope.protocol = "local";
    envelope.auth_user = invoking_user();
    envelope.arrival = std::chrono::system_clock::now();

    spool::Spool spool(config->server.spool_dir);
    if (auto opened = spool.open(); !opened) {
        fmt::print(stderr, "herald: sendmail: spool: {}\n", opened.error());
        return kExitTempFail;
    }
    auto logs = log::MainLog::open(config->server.log_dir / "mainlog");
    if (!logs) {
        fmt::print(stderr, "herald: sendmail: {}\n", logs.error());
        return kExitTempFail;
    }
    std::unique_ptr<mailauth::dkim::Keyring> keys;
    if (!config->dkim_keys.empty()) {
        auto loaded = mailauth::dkim::Keyring::load(config->dkim_keys);
        if (!loaded) {
            fmt::print(stderr, "herald: sendmail: {}\n", loaded.error());
            return kExitTempFail;
        }
        keys = std::move(*loaded);
    }
    queue::Intake intake(spool, **logs);
    queue::IntakeOptions intake_options;
    intake_options.hostname = config->server.hostname;
    intake_options.mask_client = true;
    intake_options.add_missing_ids = true;
    intake_options.add_missing_from = true;
    if (keys) {
        intake_options.dkim =
            choose_dkim(*config, *keys, signing_domain(data, envelope.sender), **logs);
    }
    auto outcome = intake.accept(envelope, std::move(data), intake_options);
    if (auto* failure = std::get_if<queue::IntakeFailure>(&outcome)) {
        fmt::print(stderr, "herald: sendmail: cannot queue the message: {}\n", failure->message);
        return kExitTempFail;
    }
    // Tell a running server at once; otherwise it finds the message when it starts.
    send_control_request(config->server.spool_dir / "control.sock",
                         "flush " + std::get<queue::Accepted>(outcome).id);
    return kExitOk;
}

void add_sendmail_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("sendmail", "Queue a message from standard input, as sendmail(1)");
    // sendmail's own option syntax, parsed by parse_sendmail_args: nothing may fall through to
    // herald's options.
    cmd->prefix_command();
    cmd->allow_extras();
    cmd->fallthrough(false);
    cmd->callback([cmd, &global, &exit_code] {
        exit_code = run_sendmail(cmd->remaining(), global.config.string());
    });
}

}  // namespace herald::cli
