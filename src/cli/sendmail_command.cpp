#include "cli/sendmail_command.hpp"

#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <optional>

#include "accept/acceptance.hpp"
#include "accept/local_submission.hpp"
#include "base/blocking_pool.hpp"
#include "cli/command_resolver.hpp"
#include "cli/config_loading.hpp"
#include "cli/default_config.hpp"
#include "cli/queue_command.hpp"
#include "cli/sendmail_client.hpp"
#include "cli/spool_owner.hpp"
#include "config/value_formats.hpp"
#include "dns/unbound_resolver.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/keyring.hpp"
#include "mailauth/preflight.hpp"
#include "message/address_list.hpp"
#include "message/dsn_request.hpp"
#include "message/header_block.hpp"
#include "policy/policies.hpp"
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

// -N never|success,delay,failure; -R hdrs|full; -V envid: as sendmail(1) and Postfix's take
// them, refused as SMTP would refuse the same NOTIFY=, RET= and ENVID=.
Status take_dsn_option(message::MessageDsn& dsn, char option, const std::string& value) {
    if (option == 'N') {
        dsn.notify = message::parse_notify(value);
        if (!dsn.notify) {
            return Error{
                "sendmail: -N takes never, or success, delay and failure joined by commas"};
        }
    } else if (option == 'R') {
        const auto ret = message::parse_dsn_return(value);
        if (!ret) return Error{"sendmail: -R takes hdrs or full"};
        dsn.ret = *ret;
    } else {
        auto id = message::parse_plain_envelope_id(value);
        if (!id) return Error{"sendmail: -V takes an envelope id of 1 to 100 printable characters"};
        dsn.envelope_id = std::move(*id);
    }
    return ok_status();
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
        if (arg == "-bp") {  // mailq: list the queue instead of reading a message
            options.list_queue = true;
            continue;
        }
        if (option == 'b' && arg != "-bm") {
            return Error{"sendmail: mode " + arg +
                         " is not supported (only -bm, the default, and -bp)"};
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
        if (option == 'N' || option == 'R' || option == 'V') {
            if (auto taken = take_dsn_option(options.dsn, option, value); !taken) {
                return Error{taken.error()};
            }
        }
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

// The verdict on stderr when it is a refusal, and as the exit code.
int report(const smtp::Reply& reply) {
    if (reply.positive()) return kExitOk;
    fmt::print(stderr, "herald: sendmail: not queued: {}\n", reply.summary());
    if (reply.transient()) return kExitTempFail;
    // 5.1.3 and 5.1.7: the address itself is malformed (what SMTP answers at MAIL and RCPT).
    if (reply.enhanced == "5.1.3" || reply.enhanced == "5.1.7") return kExitBadAddress;
    return kExitRefused;
}

// While the server is down, root and Herald's own user may still queue: what the server would
// do with the message, done here, by the same steps (accept::accept_local) with this process's
// own spool handle, logs and resolver. The server finds the message when it starts.
class LocalInjection {
  public:
    LocalInjection(const config::Config& config, spool::Spool& spool, log::MainLog& mainlog,
                   std::shared_ptr<mailauth::dkim::Keyring> keys)
        : config_(config), mainlog_(mainlog), intake_(spool, mainlog), policies_(config) {
        if (policies_.limiter) policies_.limiter->load_from(rate_limits_path(), now());
        services_.intake = &intake_;
        services_.pool = &pool_;
        services_.hostname = config.server.hostname;
        policies_.mask_client_ip = true;  // a local user's address is nobody's business
        policies_.dkim_keys = std::move(keys);
        services_.note = [this](const std::string& line) { mainlog_.note(line); };
        services_.message_event = [this](const std::string& id, const std::string& event) {
            mainlog_.event(id, event);
        };
        services_.panic = [](const std::string& context, const std::string& what) {
            fmt::print(stderr, "herald: sendmail: {}: {}\n", context, what);
        };
        if (config.preflight.mode != config::Preflight::Mode::off) {
            preflight_ = std::make_unique<mailauth::Preflight>();
            services_.preflight = preflight_.get();
        }
    }

    smtp::Reply queue(const accept::LocalRequest& request, const std::string& user,
                      std::string data) {
        boost::asio::io_context io;
        std::unique_ptr<dns::UnboundResolver> resolver;
        if (policies_.dkim_keys || services_.preflight) {
            auto created =
                dns::UnboundResolver::create(io.get_executor(), {.servers = config_.dns.servers});
            if (!created) return smtp::Reply(451, "4.4.3", "dns: " + created.error());
            resolver = std::move(*created);
        }
        services_.resolver = resolver.get();
        accept::Acceptance acceptance(services_);
        auto reply = run_to_completion(
            io, accept::accept_local(acceptance, intake_, pool_, policies_, nullptr,
                                     config_.server.hostname, request, user, std::move(data)));
        if (policies_.limiter) (void)policies_.limiter->save_to(rate_limits_path(), now());
        return reply;
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

// The server is down: queue directly if this user may, else say why nothing was queued.
int queue_without_server(const config::Config& config, const accept::LocalRequest& request,
                         const std::string& user, std::string data, const std::string& why) {
    const auto& spool_dir = config.server.spool_dir;
    // Never a spool of our own: one that no server reads would strand the message.
    std::error_code ec;
    if (!std::filesystem::is_directory(spool_dir / "queue", ec)) {
        fmt::print(stderr,
                   "herald: sendmail: not queued: no spool at {} and no server ({}); is this the "
                   "configuration herald serve runs with?\n",
                   spool_dir.string(), why);
        return kExitTempFail;
    }
    if (::access((spool_dir / "queue").c_str(), W_OK) != 0) {
        fmt::print(stderr,
                   "herald: sendmail: not queued: herald is not running ({}), and only root and "
                   "its own user may queue while it is down\n",
                   why);
        return kExitTempFail;
    }
    if (auto failed = become_spool_owner(spool_dir)) {
        fmt::print(stderr, "herald: sendmail: not queued: {}\n", *failed);
        return kExitTempFail;
    }
    spool::Spool spool(spool_dir);
    if (auto opened = spool.open(); !opened) {
        fmt::print(stderr, "herald: sendmail: spool: {}\n", opened.error());
        return kExitTempFail;
    }
    auto logs = log::MainLog::open(config.server.log_dir / "mainlog");
    if (!logs) {
        fmt::print(stderr, "herald: sendmail: {}\n", logs.error());
        return kExitTempFail;
    }
    std::shared_ptr<mailauth::dkim::Keyring> keys;
    if (!config.dkim_keys.empty()) {
        auto loaded = mailauth::dkim::Keyring::load(config.dkim_keys);
        if (!loaded) {
            fmt::print(stderr, "herald: sendmail: {}\n", loaded.error());
            return kExitTempFail;
        }
        keys = std::move(*loaded);
    }
    LocalInjection injection(config, spool, **logs, std::move(keys));
    return report(injection.queue(request, user, std::move(data)));
}

}  // namespace

int run_sendmail(const std::vector<std::string>& args, const std::string& config_path) {
    auto parsed = parse_sendmail_args(args);
    if (!parsed) {
        fmt::print(stderr, "herald: {}\n", parsed.error());
        return kExitUsage;
    }
    SendmailOptions& options = *parsed;
    std::string path = !options.config.empty() ? options.config
                       : !config_path.empty()  ? config_path
                                               : default_config_path().string();
    if (options.list_queue) return print_mail_queue(GlobalOptions{.config = path});
    // A config this user may not read (it may hold password hashes) is the server's business:
    // the message goes to the socket this binary was built for, the server's verdict decides.
    std::optional<config::Config> config;
    if (::access(path.c_str(), R_OK) == 0 || errno != EACCES) {
        config = load_config_or_report(path);
        if (!config) return kExitUsage;
    }

    std::string data = read_sendmail_message(std::cin, options.dot_ends_message);
    accept::LocalRequest request{.sender = options.sender,
                                 .sender_given = options.sender_given,
                                 .recipients = options.recipients,
                                 .full_name = options.full_name,
                                 .dsn = options.dsn};
    if (options.recipients_from_headers) {
        auto extracted = message::take_recipient_headers(data);  // also drops Bcc:
        request.recipients.insert(request.recipients.end(), extracted.begin(), extracted.end());
    }
    if (request.recipients.empty()) {
        fmt::print(stderr, "herald: sendmail: no recipients given\n");
        return kExitUsage;
    }
    const std::string user = accept::local_user_name(::getuid());
    const auto socket_path =
        config ? config->server.spool_dir / "sendmail.sock" : default_sendmail_socket();
    // As long as a message is being read by the server: preflight may wait on DNS.
    auto handover = hand_to_server(socket_path, request, data, std::chrono::minutes(10));
    switch (handover.outcome) {
        case Handover::Outcome::answered:
            return report(handover.reply);
        case Handover::Outcome::not_running:
            if (config) {
                return queue_without_server(*config, request, user, std::move(data),
                                            handover.error);
            }
            fmt::print(stderr, "herald: sendmail: not queued: herald is not running ({})\n",
                       handover.error);
            return kExitTempFail;
        case Handover::Outcome::interrupted:
            break;
    }
    fmt::print(stderr, "herald: sendmail: perhaps not queued: {}\n", handover.error);
    return kExitTempFail;
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
