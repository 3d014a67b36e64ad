#include "cli/sendmail_command.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "accept/acceptance.hpp"
#include "accept/envelope_check.hpp"
#include "base/blocking_pool.hpp"
#include "cli/command_resolver.hpp"
#include "cli/config_loading.hpp"
#include "cli/control_client.hpp"
#include "config/value_formats.hpp"
#include "dns/unbound_resolver.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "mailauth/preflight.hpp"
#include "message/address_list.hpp"
#include "message/header_block.hpp"
#include "policy/policies.hpp"
#include "policy/session_gate.hpp"
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
        if (option == 'f' || option == 'r') {
            options.sender = strip_angles(value);
            options.sender_given = true;
        }
        if (option == 'F') options.full_name = value;
        if (option == 'C') options.config = value;
    }
    for (; i < args.size(); ++i) {
        // "a@x, b@y" in one argument is common from scripts; anything else is one address,
        // right or wrong, so that "not an address" is refused as one and not sent as three.
        if (args[i].find_first_of(",<") == std::string::npos) {
            options.recipients.push_back(args[i]);
            continue;
        }
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

// sysexits(3), as sendmail(1) callers expect them.
constexpr int kExitBadAddress = 64;  // EX_USAGE: an address that is not one
constexpr int kExitRefused = 65;     // EX_DATAERR: refused, as SMTP would refuse it for good

int exit_code_for(const smtp::Reply& reply) {
    if (reply.transient()) return kExitTempFail;
    // 5.1.3 and 5.1.7: the address itself is malformed (what SMTP answers at MAIL and RCPT).
    if (reply.enhanced == "5.1.3" || reply.enhanced == "5.1.7") return kExitBadAddress;
    return kExitRefused;
}

// What the server would do with a message from a local user, done here: the same acceptance
// steps (accept/acceptance.hpp), with this process's own spool handle, logs and resolver.
class LocalInjection {
  public:
    LocalInjection(const config::Config& config, spool::Spool& spool, log::MainLog& mainlog,
                   mailauth::dkim::Keyring* keys)
        : config_(config), mainlog_(mainlog), intake_(spool, mainlog), policies_(config) {
        if (policies_.limiter) policies_.limiter->load_from(rate_limits_path(), now());
        services_.intake = &intake_;
        services_.pool = &pool_;
        services_.hostname = config.server.hostname;
        services_.mask_client_ip = true;  // a local user's address is nobody's business
        services_.dkim = keys;
        services_.note = [this](const std::string& line) { mainlog_.note(line); };
        services_.message_event = [this](const std::string& id, const std::string& event) {
            mainlog_.event(id, event);
        };
        // Tell a running server at once; otherwise it finds the message when it starts.
        services_.queued = [this](const std::string& id) {
            send_control_request(config_.server.spool_dir / "control.sock", "flush " + id);
        };
        services_.panic = [](const std::string& context, const std::string& what) {
            fmt::print(stderr, "herald: sendmail: {}: {}\n", context, what);
        };
        if (config.preflight.mode != config::Preflight::Mode::off) {
            preflight_ = std::make_unique<mailauth::Preflight>();
            services_.preflight = preflight_.get();
            services_.preflight_rejects = config.preflight.mode == config::Preflight::Mode::reject;
        }
    }

    // Steps 1 and 2: the envelope, through the gate an SMTP session would ask.
    std::optional<accept::EnvelopeRefusal> check_envelope(const std::string& sender,
                                                          const std::vector<std::string>& to,
                                                          message::Envelope& envelope) {
        policy::SessionGate gate(policies_.relay, policies_.limiter.get());
        smtp::SessionView view{.mode = smtp::SessionMode::relay, .local_user = true};
        auto refused =
            accept::check_envelope(gate, view, sender, to, config_.server.hostname, envelope);
        if (!refused && policies_.limiter) {
            (void)policies_.limiter->save_to(rate_limits_path(), now());
        }
        return refused;
    }

    // Steps 3 to 7.
    accept::Verdict accept(message::Envelope envelope, std::string data,
                           const std::string& full_name) {
        spool::IncomingText text = intake_.incoming();
        text.append(data);
        const std::uint64_t header_size = message::HeaderBlock::parse(data).end();
        data.resize(header_size);
        accept::Submission submission{.envelope = std::move(envelope),
                                      .submission = true,
                                      .add_missing_from = true,
                                      .from_display_name = full_name,
                                      .text = &text,
                                      .header_size = header_size,
                                      .headers = std::move(data)};
        boost::asio::io_context io;
        std::unique_ptr<dns::UnboundResolver> resolver;
        if (services_.dkim || services_.preflight) {
            auto created =
                dns::UnboundResolver::create(io.get_executor(), {.servers = config_.dns.servers});
            if (!created) return smtp::Reply(451, "4.4.3", "dns: " + created.error());
            resolver = std::move(*created);
        }
        services_.resolver = resolver.get();
        accept::Acceptance acceptance(services_);
        return run_to_completion(io, acceptance.accept(submission, policies_));
    }

  private:
    std::filesystem::path rate_limits_path() const {
        return config_.server.spool_dir / "ratelimits";
    }
    static policy::RateLimiter::Clock::time_point now() {
        return policy::RateLimiter::Clock::now();
    }

    const config::Config& config_;
    log::MainLog& mainlog_;
    BlockingPool pool_{1};
    queue::Intake intake_;
    policy::Policies policies_;
    std::unique_ptr<mailauth::Preflight> preflight_;
    accept::AcceptanceServices services_;
};

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
    std::vector<std::string> recipients = options.recipients;
    if (options.recipients_from_headers) {
        auto extracted = message::take_recipient_headers(data);  // also drops Bcc:
        recipients.insert(recipients.end(), extracted.begin(), extracted.end());
    }
    if (recipients.empty()) {
        fmt::print(stderr, "herald: sendmail: no recipients given\n");
        return kExitUsage;
    }
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
    if (auto unloadable = policy::Policies::unloadable(*config)) {
        fmt::print(stderr, "herald: sendmail: {}\n", *unloadable);
        return kExitTempFail;
    }
    LocalInjection injection(*config, spool, **logs, keys.get());
    message::Envelope envelope;
    envelope.protocol = "local";
    envelope.auth_user = invoking_user();
    envelope.arrival = std::chrono::system_clock::now();
    const std::string sender =
        options.sender_given ? options.sender : invoking_user() + "@" + config->server.hostname;
    if (auto refused = injection.check_envelope(sender, recipients, envelope)) {
        fmt::print(stderr, "herald: sendmail: {} <{}>: {}\n",
                   refused->is_sender ? "sender" : "recipient", refused->address,
                   refused->reply.summary());
        return exit_code_for(refused->reply);
    }
    auto verdict = injection.accept(std::move(envelope), std::move(data), options.full_name);
    if (auto* refused = std::get_if<smtp::Reply>(&verdict)) {
        fmt::print(stderr, "herald: sendmail: not queued: {}\n", refused->summary());
        return exit_code_for(*refused);
    }
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
