#include "smtp/server_session.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/ascii_case.hpp"
#include "message/header_section_scanner.hpp"
#include "smtp/base64.hpp"
#include "smtp/canonical_address.hpp"
#include "smtp/command_parser.hpp"
#include "smtp/data_reader.hpp"

namespace herald::smtp {

namespace {

// RFC 5321 4.5.3.1.4: a command line is at most 512 octets including the CRLF.
constexpr std::size_t kMaxCommandLine = 512;
// RFC 4954 4: AUTH lines carry base64 credentials and may reach 12288 octets.
constexpr std::size_t kMaxAuthLine = 12288;
// How much of a refused line goes to the rejectlog.
constexpr std::size_t kMaxLoggedCommand = 200;

// RFC 4954 4, the LOGIN mechanism's customary prompts: "Username:" and "Password:".
constexpr std::string_view kLoginUserPrompt = "VXNlcm5hbWU6";
constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// The rejectlog is line-oriented: control bytes from the client must not forge lines. AUTH
// keeps only its mechanism: what follows may be credentials.
std::string loggable(std::string_view line) {
    if (starts_with_ignoring_case(line, "AUTH ")) {
        const std::size_t mechanism_end = line.find(' ', 5);
        line = line.substr(0, std::min(mechanism_end, std::size_t{5 + 20}));
    }
    std::string out(line.substr(0, kMaxLoggedCommand));
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 32 || u == 127) c = '?';
    }
    return out;
}

// A HELO/EHLO name goes into Received; it must be one printable ASCII word.
bool valid_helo_name(std::string_view name) {
    return !name.empty() &&
           std::all_of(name.begin(), name.end(), [](char c) { return c >= 33 && c <= 126; });
}

// "=" is the empty initial response (RFC 4954 4).
std::optional<std::string> decode_sasl(std::string_view text) {
    if (text == "=") return std::string();
    return decode_base64(text);
}

void wipe(std::string& secret) {
    std::fill(secret.begin(), secret.end(), '\0');
    secret.clear();
}

}  // namespace

struct ServerSession::State {
    enum class Phase {
        command,
        auth_response,
        data,
        bdat,  // reading a chunk's octets
        awaiting_tls,
        awaiting_auth,
        awaiting_policy,
        awaiting_message,
        closed
    };
    enum class AuthStep { plain, login_user, login_password };

    SessionSettings settings;
    ClientInfo client;
    SessionPolicy& policy;

    std::string output;
    std::deque<SessionEvent> events;
    std::vector<Rejection> rejections;

    std::string input;
    std::size_t input_pos = 0;
    bool discarding_long_line = false;
    std::string long_line_start;

    Phase phase = Phase::command;
    std::size_t errors = 0;

    // What EHLO/HELO, STARTTLS and AUTH established.
    std::string helo;
    bool greeted = false;
    bool ehlo = false;
    bool tls = false;
    std::string auth_user;

    // The AUTH exchange in progress.
    AuthStep auth_step = AuthStep::plain;
    std::string auth_log;  // "AUTH PLAIN": what the rejectlog shows instead of credentials
    std::string login_user;
    std::string pending_auth_user;

    // The mail transaction (RFC 5321 3.3).
    bool mail_given = false;
    std::string sender;
    bool smtputf8 = false;
    bool body_8bit = false;
    bool require_tls = false;
    message::DsnReturn dsn_return = message::DsnReturn::unspecified;
    std::string envelope_id;
    std::vector<std::string> recipients;
    std::map<std::string, message::RecipientDsn, std::less<>> recipient_dsn;
    std::string asked_recipient;  // awaiting_policy: the RCPT the policy is asked about
    message::RecipientDsn asked_dsn;
    std::string asked_command;
    std::optional<DataReader> data;  // DATA, or every BDAT chunk of the transaction
    // The BDAT chunk being read: octets still to come, and what to answer once they are in.
    std::string chunk_command;
    std::uint64_t chunk_size = 0;
    std::uint64_t chunk_left = 0;
    bool chunk_last = false;
    std::optional<Reply> chunk_refusal;
    message::HeaderSectionScanner header_section;  // of the text being read

    State(SessionSettings s, ClientInfo c, SessionPolicy& p)
        : settings(std::move(s)), client(std::move(c)), policy(p), tls(settings.tls_active) {}

    // ---- input ----

    void process() {
        while (true) {
            if (phase == Phase::data) {
                if (!read_data()) break;
                continue;
            }
            if (phase == Phase::bdat) {
                if (!read_chunk()) break;
                continue;
            }
            if (phase != Phase::command && phase != Phase::auth_response) break;
            auto line = next_line();
            if (!line) break;
            handle_line(std::move(*line));
        }
        input.erase(0, input_pos);
        input_pos = 0;
    }

    std::size_t line_limit(std::string_view line_start) const {
        const bool auth =
            phase == Phase::auth_response || starts_with_ignoring_case(line_start, "AUTH ");
        return auth ? kMaxAuthLine : kMaxCommandLine;
    }

    struct Line {
        std::string text;
        bool too_long = false;
    };

    // The next complete line without its ending; an over-long line is skipped to its end and
    // reported once as too long. LF alone ends a command line too: clients do send it, and
    // outside DATA it cannot smuggle anything.
    std::optional<Line> next_line() {
        const std::string_view pending = std::string_view(input).substr(input_pos);
        const std::size_t lf = pending.find('\n');
        if (discarding_long_line) {
            if (lf == std::string_view::npos) {
                input_pos = input.size();
                return std::nullopt;
            }
            input_pos += lf + 1;
            discarding_long_line = false;
            return Line{std::move(long_line_start), true};
        }
        if (lf == std::string_view::npos) {
            if (pending.size() > line_limit(pending)) {
                long_line_start = std::string(pending.substr(0, kMaxLoggedCommand));
                discarding_long_line = true;
                input_pos = input.size();
            }
            return std::nullopt;
        }
        input_pos += lf + 1;
        if (lf + 1 > line_limit(pending)) {
            return Line{std::string(pending.substr(0, kMaxLoggedCommand)), true};
        }
        std::string_view text = pending.substr(0, lf);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        return Line{std::string(text), false};
    }

    void handle_line(Line line) {
        if (line.too_long) {
            const std::string logged = phase == Phase::auth_response ? auth_log : line.text;
            phase = Phase::command;
            respond(Reply(500, "5.5.6", "Line too long"), logged);
            return;
        }
        if (phase == Phase::auth_response) {
            on_auth_response(line.text);
            wipe(line.text);
            return;
        }
        dispatch(line.text);
    }

    // ---- output ----

    void respond(const Reply& reply, std::string_view command, bool client_error = true) {
        output += reply.wire();
        if (reply.positive()) return;
        rejections.push_back({loggable(command), reply});
        // RFC 5321 4.5.3.1.10: "too many recipients" is flow control, not misbehaviour.
        const bool counts = client_error && reply.enhanced != "4.5.3";
        if (!counts) return;
        ++errors;
        if (settings.max_errors > 0 && errors >= settings.max_errors && phase != Phase::closed) {
            output += Reply(421, "4.7.0", settings.hostname + " Too many errors, closing").wire();
            close();
        }
    }

    void close() {
        phase = Phase::closed;
        events.emplace_back(CloseConnection{});
    }

    // ---- commands ----

    void dispatch(const std::string& line) {
        const Command command = parse_command(line);
        const std::string_view arg = command.argument;
        switch (command.verb) {
            case Verb::helo:
                return respond(on_helo(arg), line);
            case Verb::ehlo:
                return respond(on_ehlo(arg), line);
            case Verb::mail:
                return respond(on_mail(arg), line);
            case Verb::rcpt:
                if (auto reply = on_rcpt(arg)) return respond(*reply, line);
                asked_command = line;
                return;
            case Verb::data:
                return respond(on_data(arg), line);
            case Verb::bdat:
                return on_bdat(arg, line);
            case Verb::rset:
                return respond(on_rset(arg), line);
            case Verb::noop:
                return respond(Reply(250, "2.0.0", "Ok"), line);
            case Verb::vrfy:
                return respond(on_vrfy(arg), line);
            case Verb::help:
                return respond(on_help(), line);
            case Verb::quit:
                return on_quit();
            case Verb::starttls:
                return on_starttls(arg, line);
            case Verb::auth:
                return on_auth(arg);
            case Verb::unknown:
                // Not logged verbatim: a client that pipelines its AUTH exchange after a
                // refused AUTH sends its base64 credentials as "commands".
                return respond(Reply(500, "5.5.2", "Command not recognized"),
                               "(unrecognised command)");
        }
    }

    std::optional<Reply> bad_helo(std::string_view verb, std::string_view arg) const {
        if (valid_helo_name(arg)) return std::nullopt;
        return Reply(501, "5.5.4", "Syntax: " + std::string(verb) + " hostname");
    }

    // RFC 5321 4.1.4: HELO/EHLO may come again and then abort the transaction.
    void greet(std::string_view arg, bool extended) {
        reset_transaction();
        helo = std::string(arg);
        greeted = true;
        ehlo = extended;
    }

    Reply on_helo(std::string_view arg) {
        if (auto refused = bad_helo("HELO", arg)) return *refused;
        greet(arg, false);
        return Reply(250, "", settings.hostname);
    }

    Reply on_ehlo(std::string_view arg) {
        if (auto refused = bad_helo("EHLO", arg)) return *refused;
        greet(arg, true);
        std::vector<std::string> lines{settings.hostname,
                                       "PIPELINING",
                                       "SIZE " + std::to_string(settings.max_message_size),
                                       "8BITMIME",
                                       "ENHANCEDSTATUSCODES",
                                       "SMTPUTF8",
                                       "CHUNKING",
                                       "DSN"};
        if (settings.tls_available && !tls) lines.emplace_back("STARTTLS");
        // RFC 8689 4.1: only where the client's own hop is already over TLS.
        if (tls) lines.emplace_back("REQUIRETLS");
        if (auth_offered()) lines.emplace_back("AUTH PLAIN LOGIN");
        return Reply(250, "", std::move(lines));
    }

    bool auth_offered() const {
        return settings.auth_available && auth_user.empty() &&
               (tls || settings.allow_plaintext_auth);
    }

    Reply on_mail(std::string_view arg) {
        if (!greeted) return Reply(503, "5.5.1", "Send HELO or EHLO first");
        const bool needs_auth = settings.mode != SessionMode::relay;
        if (needs_auth && auth_user.empty()) return Reply(530, "5.7.0", "Authentication required");
        if (mail_given) return Reply(503, "5.5.1", "Sender already specified");
        auto parsed = parse_mail_arguments(arg);
        if (auto* refused = std::get_if<Reply>(&parsed)) return *refused;
        auto& args = std::get<MailArguments>(parsed);
        if (args.require_tls && !tls) {
            return Reply(530, "5.7.10", "REQUIRETLS needs a TLS session; use STARTTLS first");
        }
        // RFC 1870 6.1: refuse at MAIL what would be refused after DATA anyway.
        if (args.size && *args.size > settings.max_message_size) {
            return Reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
        }
        // RFC 1870 6.1 again, for what the disk can take now (Postfix says the same).
        if (args.size && settings.has_room_for && !settings.has_room_for(*args.size)) {
            return Reply(452, "4.3.1", "Insufficient system storage");
        }
        auto canonical = canonical_address(args.sender);
        if (!canonical) return Reply(553, "5.1.7", "Bad sender address: " + canonical.error());
        const std::string& address = *canonical;
        if (auto refused = policy.check_sender(view(), address)) return *refused;
        mail_given = true;
        sender = address;
        smtputf8 = args.smtputf8;
        body_8bit = args.body_8bit;
        require_tls = args.require_tls;
        dsn_return = args.dsn_return;
        envelope_id = args.envelope_id.value_or("");
        return Reply(250, "2.1.0", "Ok");
    }

    // nullopt: the policy has a question first (awaiting_policy).
    std::optional<Reply> on_rcpt(std::string_view arg) {
        if (!mail_given) return Reply(503, "5.5.1", "Need MAIL command first");
        if (data) return Reply(503, "5.5.1", "BDAT in progress; RCPT not allowed");
        auto parsed =
            parse_rcpt_arguments(arg, smtputf8 ? AddressSyntax::utf8 : AddressSyntax::ascii);
        if (auto* refused = std::get_if<Reply>(&parsed)) return *refused;
        if (recipients.size() >= settings.max_recipients) {
            return Reply(452, "4.5.3", "Too many recipients");
        }
        const Address& recipient = std::get<RcptArguments>(parsed).recipient;
        const message::RecipientDsn& dsn = std::get<RcptArguments>(parsed).dsn;
        // RFC 5321 3.6.1 lets a server strip a source route; we refuse it instead, so that
        // "@relay:user@victim" can never look like an ordinary relayed address.
        if (recipient.has_source_route) {
            return Reply(550, "5.7.1", "Source routes are not accepted");
        }
        auto canonical = canonical_address(recipient);
        if (!canonical) return Reply(553, "5.1.3", "Bad recipient address: " + canonical.error());
        if (auto refused = policy.check_recipient(view(), *canonical)) return *refused;
        if (policy.query_pending()) {
            asked_recipient = *canonical;
            asked_dsn = dsn;
            events.emplace_back(PolicyQuery{});
            phase = Phase::awaiting_policy;
            return std::nullopt;
        }
        return take_recipient(*canonical, dsn);
    }

    Reply take_recipient(std::string_view recipient, const message::RecipientDsn& dsn) {
        for (auto& address : policy.delivery_addresses(recipient)) {
            if (std::find(recipients.begin(), recipients.end(), address) == recipients.end()) {
                if (dsn.given()) recipient_dsn.emplace(address, dsn);
                recipients.push_back(std::move(address));
            }
        }
        return Reply(250, "2.1.5", "Ok");
    }

    Reply on_data(std::string_view arg) {
        if (!arg.empty()) return Reply(501, "5.5.4", "Syntax: DATA");
        if (data) return Reply(503, "5.5.1", "BDAT in progress; DATA not allowed");
        if (!mail_given) return Reply(503, "5.5.1", "Need MAIL command first");
        // RFC 2920 3.1: after pipelined RCPTs that all failed, DATA must fail too.
        if (recipients.empty()) return Reply(554, "5.5.1", "No valid recipients");
        start_text(DataReader::Framing::dot_terminated);
        phase = Phase::data;
        return Reply(354, "", "End data with <CR><LF>.<CR><LF>");
    }

    Reply on_rset(std::string_view arg) {
        if (!arg.empty()) return Reply(501, "5.5.4", "Syntax: RSET");
        reset_transaction();
        return Reply(250, "2.0.0", "Ok");
    }

    Reply on_vrfy(std::string_view arg) const {
        if (arg.empty()) return Reply(501, "5.5.4", "Syntax: VRFY address");
        // RFC 5321 3.5.3: 252 rather than disclosing which mailboxes exist.
        return Reply(252, "2.5.0",
                     "Cannot VRFY user, but will accept message and attempt delivery");
    }

    Reply on_help() const {
        return Reply(
            214, "2.0.0",
            "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
    }

    void on_quit() {
        respond(Reply(221, "2.0.0", settings.hostname + " closing connection"), "QUIT");
        close();
    }

    void on_starttls(std::string_view arg, const std::string& line) {
        if (!arg.empty()) return respond(Reply(501, "5.5.4", "Syntax: STARTTLS"), line);
        if (tls) return respond(Reply(503, "5.5.1", "TLS already active"), line);
        if (!settings.tls_available) {
            return respond(Reply(502, "5.5.1", "STARTTLS not available"), line);
        }
        respond(Reply(220, "2.0.0", "Ready to start TLS"), line);
        // RFC 3207 4.2 (and CVE-2011-0411): anything pipelined after STARTTLS arrived in
        // plaintext and must not be executed as if it came over TLS.
        discard_input();
        phase = Phase::awaiting_tls;
        events.emplace_back(StartTls{});
    }

    void discard_input() {
        input.clear();
        input_pos = 0;
        discarding_long_line = false;
    }

    // ---- AUTH (RFC 4954) ----

    void on_auth(std::string_view arg) {
        const std::size_t space = arg.find(' ');
        const std::string mechanism = upper(arg.substr(0, space));
        const std::string_view initial =
            space == std::string_view::npos ? std::string_view() : arg.substr(space + 1);
        auth_log = "AUTH " + loggable(mechanism);
        if (auto refused = auth_refusal(mechanism)) return respond(*refused, auth_log);
        if (mechanism == "PLAIN") {
            auth_step = AuthStep::plain;
            if (!initial.empty()) return on_plain_response(initial);
            return challenge("");
        }
        auth_step = AuthStep::login_user;
        if (initial.empty()) return challenge(kLoginUserPrompt);
        on_auth_response(initial);
    }

    std::optional<Reply> auth_refusal(std::string_view mechanism) const {
        if (!settings.auth_available) return Reply(503, "5.5.1", "AUTH not available");
        if (!ehlo) return Reply(503, "5.5.1", "Send EHLO first");
        if (!auth_user.empty()) return Reply(503, "5.5.1", "Already authenticated");
        if (mail_given) return Reply(503, "5.5.1", "AUTH not allowed during a mail transaction");
        if (!tls && !settings.allow_plaintext_auth) {
            return Reply(538, "5.7.11",
                         "Encryption required for requested authentication mechanism");
        }
        if (mechanism.empty()) return Reply(501, "5.5.4", "Syntax: AUTH mechanism");
        if (mechanism != "PLAIN" && mechanism != "LOGIN") {
            return Reply(504, "5.5.4", "Unrecognized authentication mechanism");
        }
        return std::nullopt;
    }

    void challenge(std::string_view text) {
        output += Reply(334, "", std::string(text)).wire();
        phase = Phase::auth_response;
    }

    void on_auth_response(std::string_view line) {
        phase = Phase::command;
        if (line == "*") return respond(Reply(501, "5.0.0", "Authentication cancelled"), auth_log);
        if (auth_step == AuthStep::plain) return on_plain_response(line);
        auto decoded = decode_sasl(line);
        if (!decoded) return respond(Reply(501, "5.5.2", "Invalid base64 data"), auth_log);
        if (auth_step == AuthStep::login_user) {
            login_user = std::move(*decoded);
            auth_step = AuthStep::login_password;
            return challenge(kLoginPasswordPrompt);
        }
        request_auth(std::move(login_user), std::move(*decoded));
    }

    // RFC 4616 2: authzid NUL authcid NUL passwd. Acting for another identity is not offered.
    void on_plain_response(std::string_view line) {
        phase = Phase::command;
        if (line == "*") return respond(Reply(501, "5.0.0", "Authentication cancelled"), auth_log);
        auto decoded = decode_sasl(line);
        if (!decoded) return respond(Reply(501, "5.5.2", "Invalid base64 data"), auth_log);
        const std::string& msg = *decoded;
        const std::size_t first = msg.find('\0');
        const std::size_t second =
            first == std::string::npos ? std::string::npos : msg.find('\0', first + 1);
        const bool well_formed =
            second != std::string::npos && msg.find('\0', second + 1) == std::string::npos;
        if (!well_formed) {
            wipe(*decoded);
            return respond(Reply(535, "5.7.8", "Authentication credentials invalid"), auth_log);
        }
        std::string authzid = msg.substr(0, first);
        std::string user = msg.substr(first + 1, second - first - 1);
        std::string password = msg.substr(second + 1);
        wipe(*decoded);
        if (user.empty() || (!authzid.empty() && authzid != user)) {
            wipe(password);
            return respond(Reply(535, "5.7.8", "Authentication credentials invalid"), auth_log);
        }
        request_auth(std::move(user), std::move(password));
    }

    // The message text begins: by DATA, or by a transaction's first BDAT chunk.
    void start_text(DataReader::Framing framing) {
        data.emplace(DataLimits{settings.max_message_size, settings.normalize_bare_line_endings},
                     framing);
        header_section = {};
    }

    // RFC 3030 2: the chunk's octets follow the command at once, and are read whatever the
    // verdict, so that none of them is taken for a command.
    void on_bdat(std::string_view arg, const std::string& line) {
        const auto chunk = parse_bdat_arguments(arg);
        if (!chunk) return respond(Reply(501, "5.5.4", "Syntax: BDAT size [LAST]"), line);
        chunk_command = line;
        chunk_size = chunk_left = chunk->size;
        chunk_last = chunk->last;
        chunk_refusal = std::nullopt;
        if (!mail_given) {
            chunk_refusal = Reply(503, "5.5.1", "Need MAIL command first");
        } else if (recipients.empty()) {
            chunk_refusal = Reply(554, "5.5.1", "No valid recipients");
        } else if (!data) {
            start_text(DataReader::Framing::chunked);
        }
        phase = Phase::bdat;
    }

    void request_auth(std::string user, std::string password) {
        pending_auth_user = user;
        events.emplace_back(AuthRequest{std::move(user), std::move(password)});
        phase = Phase::awaiting_auth;
    }

    // ---- DATA ----

    // Feeds buffered input to the DATA reader; true once the message is complete.
    bool read_data() {
        const std::string_view pending = std::string_view(input).substr(input_pos);
        input_pos += feed_data(pending);
        return phase != Phase::data;
    }

    // Gives `bytes` to the DATA reader and passes its text on; returns how much it used.
    std::size_t feed_data(std::string_view bytes) {
        const std::size_t used = data->feed(bytes);
        pass_text();
        return used;
    }

    void pass_text() {
        std::string text = data->take_text();
        if (!text.empty()) {
            header_section.update(text);
            events.emplace_back(MessageData{std::move(text)});
        }
        if (data->done()) finish_data();
    }

    // Reads what has come of the current chunk; true once all of it is in.
    bool read_chunk() {
        const std::string_view pending = std::string_view(input).substr(input_pos);
        const std::string_view piece = pending.substr(
            0, static_cast<std::size_t>(std::min<std::uint64_t>(pending.size(), chunk_left)));
        input_pos += piece.size();
        chunk_left -= piece.size();
        if (!chunk_refusal) feed_data(piece);
        if (chunk_left > 0) return false;
        phase = Phase::command;
        if (chunk_refusal) {
            respond(*chunk_refusal, chunk_command);
        } else if (!chunk_last) {
            respond(Reply(250, "2.0.0", std::to_string(chunk_size) + " octets received"),
                    chunk_command);
        } else {
            data->finish();
            pass_text();
        }
        return true;
    }

    std::optional<Reply> data_refusal() const {
        if (data->oversized()) {
            return Reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
        }
        if (data->bare_line_ending() && !settings.normalize_bare_line_endings) {
            return Reply(550, "5.6.0", "Bare CR or LF not allowed in message; use CRLF");
        }
        if (data->line_too_long()) return Reply(500, "5.5.6", "Line too long (over 1000 octets)");
        if (header_section.size() > settings.max_header_size) {
            return Reply(552, "5.3.4", "Message header section too large");
        }
        // RFC 5321 6.3: too many Received fields means a mail loop.
        if (header_section.received_fields() > settings.max_received_headers) {
            return Reply(554, "5.4.6", "Too many hops (mail loop?)");
        }
        return std::nullopt;
    }

    void finish_data() {
        header_section.finish();
        auto refused = data_refusal();
        const std::uint64_t size = data->size();
        data.reset();
        if (refused) {
            events.emplace_back(DiscardMessage{});
            phase = Phase::command;
            reset_transaction();
            return respond(*refused, "DATA");
        }
        events.emplace_back(MessageReady{envelope(), size, header_section.size()});
        phase = Phase::awaiting_message;
    }

    message::Envelope envelope() const {
        message::Envelope e;
        e.sender = sender;
        e.recipients = recipients;
        e.smtputf8 = smtputf8;
        e.body_8bit = body_8bit;
        e.require_tls = require_tls;
        e.dsn_return = dsn_return;
        e.envelope_id = envelope_id;
        e.recipient_dsn = recipient_dsn;
        e.helo = helo;
        e.client_ip = client.ip;
        e.auth_user = auth_user;
        e.protocol = protocol();
        e.arrival = std::chrono::system_clock::now();
        return e;
    }

    // RFC 3848: SMTP for HELO; ESMTP, plus S with TLS and A when authenticated.
    std::string protocol() const {
        if (!ehlo) return "smtp";
        std::string p = "esmtp";
        if (tls) p += "s";
        if (!auth_user.empty()) p += "a";
        return p;
    }

    void reset_transaction() {
        // RFC 3030 3: RSET (or EHLO) drops the chunks received so far.
        if (data) {
            data.reset();
            events.emplace_back(DiscardMessage{});
        }
        mail_given = false;
        sender.clear();
        smtputf8 = false;
        body_8bit = false;
        require_tls = false;
        dsn_return = message::DsnReturn::unspecified;
        envelope_id.clear();
        recipients.clear();
        recipient_dsn.clear();
    }

    SessionView view() const {
        SessionView v;
        v.mode = settings.mode;
        v.client_ip = client.ip;
        v.tls = tls;
        v.helo = helo;
        v.auth_user = auth_user;
        v.sender = sender;
        return v;
    }

    void end_transaction(const Reply& reply, bool client_error) {
        phase = Phase::command;
        reset_transaction();
        respond(reply, "DATA", client_error);
        process();
    }

    void close_with(const Reply& reply) {
        if (phase == Phase::closed) return;
        output += reply.wire();
        close();
    }
};

ServerSession::ServerSession(SessionSettings settings, ClientInfo client, SessionPolicy& policy)
    : s_(std::make_unique<State>(std::move(settings), std::move(client), policy)) {}

ServerSession::~ServerSession() = default;

void ServerSession::start() {
    s_->output += Reply(220, "", s_->settings.hostname + " ESMTP Herald").wire();
}

void ServerSession::receive(std::string_view bytes) {
    using Phase = State::Phase;
    if (s_->phase == Phase::closed) return;
    // Bytes sent before the TLS handshake cannot be trusted afterwards (RFC 3207 4.2).
    if (s_->phase == Phase::awaiting_tls) return;
    if (s_->phase == Phase::data && s_->input.empty()) {
        // The usual case in DATA: read from the caller's buffer, nothing copied or kept.
        bytes.remove_prefix(s_->feed_data(bytes));
        if (bytes.empty()) return;
    }
    s_->input.append(bytes);
    s_->process();
}

std::string ServerSession::take_output() {
    return std::exchange(s_->output, std::string());
}

std::optional<SessionEvent> ServerSession::take_event() {
    if (s_->events.empty()) return std::nullopt;
    SessionEvent event = std::move(s_->events.front());
    s_->events.pop_front();
    return event;
}

std::vector<Rejection> ServerSession::take_rejections() {
    return std::exchange(s_->rejections, {});
}

void ServerSession::tls_started() {
    if (s_->phase != State::Phase::awaiting_tls) return;
    // RFC 3207 4.2: forget everything learnt from the client before the handshake.
    s_->tls = true;
    s_->helo.clear();
    s_->greeted = false;
    s_->ehlo = false;
    s_->auth_user.clear();
    s_->reset_transaction();
    s_->discard_input();
    s_->phase = State::Phase::command;
}

void ServerSession::auth_result(bool accepted) {
    if (s_->phase != State::Phase::awaiting_auth) return;
    s_->phase = State::Phase::command;
    std::string user = std::exchange(s_->pending_auth_user, std::string());
    if (accepted) {
        s_->auth_user = std::move(user);
        s_->respond(Reply(235, "2.7.0", "Authentication successful"), s_->auth_log);
    } else {
        s_->respond(Reply(535, "5.7.8", "Authentication credentials invalid"), s_->auth_log);
    }
    s_->process();
}

void ServerSession::policy_answer(const std::optional<Reply>& refusal) {
    if (s_->phase != State::Phase::awaiting_policy) return;
    s_->phase = State::Phase::command;
    const std::string recipient = std::exchange(s_->asked_recipient, std::string());
    const std::string command = std::exchange(s_->asked_command, std::string());
    s_->respond(refusal ? *refusal : s_->take_recipient(recipient, s_->asked_dsn), command);
    s_->process();
}

void ServerSession::auth_refused(const Reply& reply) {
    if (s_->phase != State::Phase::awaiting_auth) return;
    s_->phase = State::Phase::command;
    const std::string user = std::exchange(s_->pending_auth_user, std::string());
    s_->respond(reply, s_->auth_log);
    // Whoever unlocks an account needs its name; the password was never kept.
    if (!s_->rejections.empty()) s_->rejections.back().command += " user=" + loggable(user);
    s_->process();
}

void ServerSession::message_accepted(std::string_view queue_id) {
    if (s_->phase != State::Phase::awaiting_message) return;
    s_->end_transaction(Reply(250, "2.0.0", "Ok: queued as " + std::string(queue_id)), false);
}

void ServerSession::message_rejected(const Reply& reply) {
    if (s_->phase != State::Phase::awaiting_message) return;
    s_->end_transaction(reply, false);
}

void ServerSession::timed_out() {
    s_->close_with(Reply(421, "4.4.2", s_->settings.hostname + " Error: timeout exceeded"));
}

void ServerSession::shutting_down() {
    s_->close_with(Reply(421, "4.3.2", s_->settings.hostname + " Service shutting down"));
}

std::chrono::seconds ServerSession::read_timeout() const {
    const bool text = s_->phase == State::Phase::data || s_->phase == State::Phase::bdat;
    return text ? s_->settings.data_timeout : s_->settings.command_timeout;
}

bool ServerSession::closed() const {
    return s_->phase == State::Phase::closed;
}

SessionView ServerSession::view() const {
    return s_->view();
}

}  // namespace herald::smtp
