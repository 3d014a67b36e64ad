#pragma once
// sendmail(1): `herald sendmail ...`, or the binary invoked as `sendmail` (symlink), so that
// cron, PHP's mail() and mutt hand their mail to Herald.
#include <istream>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/app.hpp"
#include "message/dsn_request.hpp"

namespace herald::cli {

struct SendmailOptions {
    std::string config;                    // -C FILE, --config FILE; else $HERALD_CONFIG
    std::string sender;                    // -f / -r; "" or "<>" is the null sender
    bool sender_given = false;             // -f / -r was given
    std::string full_name;                 // -F
    bool recipients_from_headers = false;  // -t
    bool dot_ends_message = true;          // false with -i / -oi
    bool list_queue = false;               // -bp: print the queue, as mailq(1)
    message::MessageDsn dsn;               // -N, -R, -V
    std::vector<std::string> recipients;
};

// The sendmail command line. Options it does not act on (-odi, -oem, -bm, -v, ...) are
// accepted and ignored, as every sendmail-compatible program does.
Result<SendmailOptions> parse_sendmail_args(const std::vector<std::string>& args);

// Reads the message, turning line ends into CRLF; a line of one "." ends it unless -i.
std::string read_sendmail_message(std::istream& in, bool dot_ends_message);

// Runs sendmail; `config_path` empty means -C, then $HERALD_CONFIG, then the default.
int run_sendmail(const std::vector<std::string>& args, const std::string& config_path);

void add_sendmail_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace herald::cli
