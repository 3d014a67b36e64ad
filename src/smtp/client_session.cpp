#include "smtp/client_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <deque>
#include <utility>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"
#include "message/seven_bit_conversion.hpp"
#include "smtp/base64.hpp"
#include "smtp/reply.hpp"

namespace herald::smtp {

namespace {

// RFC 5321 4.5.3.1.5 allows 512 octets a reply line; real servers send longer ones, so be
// lenient but bounded: a hostile server must not make us buffer without end.
constexpr std::size_t kMaxReplyLine = 4096;
constexpr std::size_t kMaxReplyLines = 100;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// "2.1.5" at the start of a reply text, its class matching the reply code (RFC 3463 2).
std::size_t enhanced_code_length(std::string_view text, int code) {
    if (text.size() < 5 || text[0] != static_cast<char>('0' + code / 100) || text[1] != '.') {
        return 0;
    }
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 3) ++i;
        if (i == start) return 0;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return 0;
    return i;
}

// Reads replies (RFC 5321 4.2): "code-text" lines continue a reply, "code text" ends it.
class ReplyReader {
  public:
    void feed(std::string_view bytes) { buffer_.append(bytes); }

    // The next complete reply; nullopt when more input is needed or the input is malformed.
    std::optional<Reply> next() {
        while (!malformed_) {
            const std::size_t lf = buffer_.find('\n', pos_);
            if (lf == std::string::npos) {
                if (buffer_.size() - pos_ > kMaxReplyLine) malformed_ = true;
                compact();
                return std::nullopt;
            }
            std::string_view line(buffer_.data() + pos_, lf - pos_);
            pos_ = lf + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (auto reply = take_line(line)) {
                compact();
                return reply;
            }
        }
        return std::nullopt;
    }

    bool malformed() const { return malformed_; }

    // RFC 3207 4.2: what the server sent before the TLS handshake is not to be trusted after.
    void clear() {
        buffer_.clear();
        pos_ = 0;
        lines_.clear();
    }

  private:
    std::optional<Reply> take_line(std::string_view line) {
        if (line.size() > kMaxReplyLine || line.size() < 3 || !is_digit(line[0]) ||
            !is_digit(line[1]) || !is_digit(line[2]) || line[0] < '2' || line[0] > '5' ||
            (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
            malformed_ = true;
            return std::nullopt;
        }
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (!lines_.empty() && code != code_) {
            malformed_ = true;
            return std::nullopt;
        }
        code_ = code;
        lines_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
        const bool last = line.size() == 3 || line[3] == ' ';
        if (!last) {
            if (lines_.size() >= kMaxReplyLines) malformed_ = true;
            return std::nullopt;
        }
        return build();
    }

    Reply build() {
        std::string enhanced;
        const std::size_t length = enhanced_code_length(lines_.front(), code_);
        if (length > 0) enhanced = lines_.front().substr(0, length);
        for (auto& text : lines_) {
            if (length > 0 && text.compare(0, length, enhanced) == 0) {
                text.erase(0, std::min(text.size(), length + 1));
            }
        }
        return Reply(code_, std::move(enhanced), std::exchange(lines_, {}));
    }

    void compact() {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }

    std::string buffer_;
    std::size_t pos_ = 0;
    std::vector<std::string> lines_;
    int code_ = 0;
    bool malformed_ = false;
};

// What the server offered in its EHLO reply (RFC 5321 4.1.1.1).
struct Capabilities {
    bool pipelining = false;            // RFC 2920
    std::optional<std::uint64_t> size;  // RFC 1870; 0 means no fixed limit
    bool eight_bit_mime = false;        // RFC 6152
    bool smtputf8 = false;              // RFC 6531
    bool starttls = false;              // RFC 3207
    bool auth_plain = false;            // RFC 4954, RFC 4616
    bool auth_login = false;
    bool require_tls = false;  // RFC 8689
    bool chunking = false;     // RFC 3030
    bool dsn = false;          // RFC 3461

    static Capabilities from_ehlo(const Reply& reply) {
        Capabilities caps;
        // The first line is the server's name; each further line is "KEYWORD params".
        for (std::size_t i = 1; i < reply.lines.size(); ++i) caps.add(reply.lines[i]);
        return caps;
    }

    void add(std::string_view line) {
        const std::size_t space = line.find(' ');
        const std::string_view keyword = line.substr(0, space);
        const std::string_view params =
            space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
        if (equals_ignoring_case(keyword, "PIPELINING")) pipelining = true;
        if (equals_ignoring_case(keyword, "8BITMIME")) eight_bit_mime = true;
        if (equals_ignoring_case(keyword, "SMTPUTF8")) smtputf8 = true;
        if (equals_ignoring_case(keyword, "STARTTLS")) starttls = true;
        if (equals_ignoring_case(keyword, "REQUIRETLS")) require_tls = true;
        if (equals_ignoring_case(keyword, "CHUNKING")) chunking = true;
        if (equals_ignoring_case(keyword, "DSN")) dsn = true;
        if (equals_ignoring_case(keyword, "SIZE")) size = parse_size(params);
        if (equals_ignoring_case(keyword, "AUTH")) add_mechanisms(params);
    }

    static std::uint64_t parse_size(std::string_view params) {
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(params.data(), params.data() + params.size(), value);
        return ec == std::errc() ? value : 0;
    }

    void add_mechanisms(std::string_view params) {
        while (!params.empty()) {
            const std::size_t space = params.find(' ');
            const std::string_view mechanism = params.substr(0, space);
            if (equals_ignoring_case(mechanism, "PLAIN")) auth_plain = true;
            if (equals_ignoring_case(mechanism, "LOGIN")) auth_login = true;
            params =
                space == std::string_view::npos ? std::string_view() : params.substr(space + 1);
        }
    }
};

// An address goes into a command line: a control character would end or forge a command.
bool safe_in_command(std::string_view address) {
    return address.size() <= 254 && std::none_of(address.begin(), address.end(), [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return u < 32 || u == 127 || c == '<' || c == '>';
           });
}

// 2xx delivered, 4xx deferred, 5xx failed (RFC 5321 4.2.1); anything else is not success.
RecipientStatus status_of(const Reply& reply) {
    if (reply.code >= 200 && reply.code < 300) return RecipientStatus::delivered;
    if (reply.permanent()) return RecipientStatus::failed;
    return RecipientStatus::deferred;
}

}  // namespace

std::string dot_stuff(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 64 + 5);
    // A line at a time, appended whole: a message is sent once a delivery, every octet of it.
    std::size_t at = 0;
    while (at < data.size()) {
        if (data[at] == '.') out += '.';
        std::size_t end = at;
        while (end < data.size() && data[end] != '\r' && data[end] != '\n') ++end;
        out.append(data, at, end - at);
        out += "\r\n";  // whatever ended the line, or none at the very end
        if (end + 1 < data.size() && data[end] == '\r' && data[end + 1] == '\n') ++end;
        at = end + 1;
    }
    out += ".\r\n";
    return out;
}

struct ClientSession::State {
    // The reply each command sent is waiting for, in order (RFC 2920 3: replies to pipelined
    // commands come back in the order of the commands).
    enum class Expect {
        greeting,
        ehlo,
        helo,
        starttls,
        auth,
        auth_login_user,
        auth_login_password,
        rset,
        mail,
        rcpt,
        data,
        final_dot,
        empty_data,  // the "." that ends a DATA the server should have refused
        quit,
    };
    struct Pending {
        Expect what;
        std::size_t index = 0;  // the recipient, for rcpt
    };
    enum class Phase { running, awaiting_tls, idle, closed };
    enum class RcptState { pending, accepted, done };

    ClientSettings settings;
    OutboundMessage message;
    std::string output;
    std::deque<ClientEvent> events;
    ReplyReader reader;
    std::deque<Pending> expected;
    Phase phase = Phase::running;

    // What EHLO, STARTTLS and AUTH established.
    Capabilities caps;
    bool tls = false;
    bool starttls_refused = false;
    bool starttls_unavailable = false;  // not offered, or refused
    bool authenticated = false;

    // The transaction of `message`.
    std::string_view data;        // what is sent: message.data, or `converted`
    std::string converted;        // message.data in 7-bit MIME, for a server without 8BITMIME
    bool message_pending = true;  // given and not yet reported
    std::vector<RecipientReply> results;
    std::vector<RcptState> rcpt_states;
    bool mail_refused = false;
    bool mail_deferred = false;
    bool dot_sent = false;
    bool begun_with_rset = false;  // the transaction went in the RSET's pipelined group

    State(ClientSettings s, OutboundMessage m)
        : settings(std::move(s)), message(std::move(m)), tls(settings.tls_active) {
        prepare_results();
        expected.push_back({Expect::greeting});
    }

    // ---- input ----

    // Idle, the session waits for the caller's choice (send_next or quit) before it reads on.
    void process() {
        while (phase == Phase::running) {
            auto reply = reader.next();
            if (!reply) break;
            handle(*reply);
        }
        if (reader.malformed() && phase != Phase::closed) {
            fail_session("malformed reply from the server", false);
        }
    }

    void handle(const Reply& reply) {
        // RFC 5321 3.8: 421 means the server is closing the connection, whatever we asked.
        if (reply.code == 421) {
            if (!expected.empty() && expected.front().what == Expect::quit) return close();
            return fail_session(reply.summary(), false);
        }
        if (expected.empty()) {
            return fail_session("unexpected reply from the server: " + reply.summary(), false);
        }
        const Pending pending = expected.front();
        expected.pop_front();
        switch (pending.what) {
            case Expect::greeting:
                return on_greeting(reply);
            case Expect::ehlo:
                return on_ehlo(reply);
            case Expect::helo:
                return on_helo(reply);
            case Expect::starttls:
                return on_starttls(reply);
            case Expect::auth:
                return on_auth(reply);
            case Expect::auth_login_user:
                return on_login_prompt(reply, settings.auth->user, Expect::auth_login_password);
            case Expect::auth_login_password:
                return on_login_prompt(reply, settings.auth->password, Expect::auth);
            case Expect::rset:
                return on_rset(reply);
            case Expect::mail:
                return on_mail(reply);
            case Expect::rcpt:
                return on_rcpt(pending.index, reply);
            case Expect::data:
                return on_data(reply);
            case Expect::final_dot:
                return on_final_dot(reply);
            case Expect::empty_data:
                return finish_transaction(false);
            case Expect::quit:
                return close();
        }
    }

    // ---- output ----

    void send(std::string command, Expect what, std::size_t index = 0) {
        output += command;
        output += "\r\n";
        expected.push_back({what, index});
    }

    void close() {
        expected.clear();
        phase = Phase::closed;
        events.emplace_back(ConnectionClosed{});
    }

    void send_quit() {
        phase = Phase::running;
        send("QUIT", Expect::quit);
    }

    // A failure of the connection rather than of the message: every recipient not yet decided
    // is deferred with `why`. Before the final dot the next host may take them (RFC 5321 5.1);
    // after it the message may already have been delivered, so it waits for the retry.
    void fail_session(const std::string& why, bool polite) {
        if (message_pending) {
            for (std::size_t i = 0; i < results.size(); ++i) {
                if (rcpt_states[i] == RcptState::done) continue;
                results[i].status = RecipientStatus::deferred;
                results[i].reply = why;
                rcpt_states[i] = RcptState::done;
            }
            finish_transaction(!dot_sent);
        }
        expected.clear();
        if (polite) return send_quit();
        close();
    }

    // ---- greeting, EHLO, STARTTLS, AUTH ----

    void on_greeting(const Reply& reply) {
        if (reply.code != 220) return fail_session("greeting: " + reply.summary(), true);
        send("EHLO " + settings.helo, Expect::ehlo);
    }

    void on_ehlo(const Reply& reply) {
        // RFC 5321 3.2: a server that does not know EHLO still knows HELO.
        if (reply.code != 250) return send("HELO " + settings.helo, Expect::helo);
        caps = Capabilities::from_ehlo(reply);
        after_hello();
    }

    void on_helo(const Reply& reply) {
        if (reply.code != 250) return fail_session("HELO refused: " + reply.summary(), true);
        caps = Capabilities();
        after_hello();
    }

    void after_hello() {
        using Tls = ClientSettings::Tls;
        if (!tls && settings.tls != Tls::none && !starttls_refused) {
            if (caps.starttls) return send("STARTTLS", Expect::starttls);
            starttls_unavailable = true;
            if (settings.tls == Tls::required) {
                return fail_session("TLS is required but the server does not offer STARTTLS", true);
            }
        }
        if (settings.auth && !authenticated) {
            // Credentials never travel in clear unless the transport says tls = none.
            if (!tls && settings.tls != Tls::none) {
                return fail_session("not sending credentials: the connection is not encrypted",
                                    true);
            }
            return start_auth();
        }
        begin_transaction();
    }

    void on_starttls(const Reply& reply) {
        if (reply.code == 220) {
            // RFC 3207 4.2: nothing the server sent before the handshake counts after it.
            reader.clear();
            phase = Phase::awaiting_tls;
            events.emplace_back(StartTlsNeeded{});
            return;
        }
        if (settings.tls == ClientSettings::Tls::required) {
            return fail_session("TLS is required but STARTTLS was refused: " + reply.summary(),
                                true);
        }
        starttls_refused = true;
        starttls_unavailable = true;
        after_hello();
    }

    void start_auth() {
        const ClientCredentials& auth = *settings.auth;
        if (caps.auth_plain) {
            // RFC 4616 2: authzid NUL authcid NUL passwd, as the initial response (RFC 4954 4).
            std::string plain;
            plain += '\0';
            plain += auth.user;
            plain += '\0';
            plain += auth.password;
            send("AUTH PLAIN " + encode_base64(plain), Expect::auth);
            std::fill(plain.begin(), plain.end(), '\0');
            return;
        }
        if (caps.auth_login) return send("AUTH LOGIN", Expect::auth_login_user);
        fail_session("authentication needed but the server offers neither AUTH PLAIN nor LOGIN",
                     true);
    }

    void on_login_prompt(const Reply& reply, const std::string& answer, Expect next) {
        if (reply.code != 334) return on_auth(reply);
        send(encode_base64(answer), next);
    }

    void on_auth(const Reply& reply) {
        if (reply.code != 235)
            return fail_session("authentication failed: " + reply.summary(), true);
        authenticated = true;
        begin_transaction();
    }

    // ---- the mail transaction ----

    void prepare_results() {
        results.clear();
        rcpt_states.assign(message.recipients.size(), RcptState::pending);
        for (const auto& recipient : message.recipients) {
            results.push_back({recipient, RecipientStatus::deferred, ""});
        }
        data = message.data;
        converted.clear();
        message_pending = true;
        mail_refused = false;
        mail_deferred = false;
        dot_sent = false;
    }

    void decide(std::size_t i, RecipientStatus status, std::string reply) {
        results[i].status = status;
        results[i].reply = std::move(reply);
        rcpt_states[i] = RcptState::done;
    }

    void decide_all(RecipientStatus status, const std::string& reply) {
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (rcpt_states[i] != RcptState::done) decide(i, status, reply);
        }
    }

    bool needs_smtputf8() const {
        const auto& m = message;
        return has_non_ascii(m.sender) ||
               std::any_of(m.recipients.begin(), m.recipients.end(), has_non_ascii) ||
               (m.smtputf8 && herald::message::has_eight_bit_header(m.data));
    }

    bool needs_8bit() const { return message.body_8bit || has_non_ascii(message.data); }

    // Refusals known before anything is sent: they are the message's fault, not the host's.
    // What is sent is settled here too, once the server has said what it takes.
    std::optional<std::string> refusal() {
        if (!safe_in_command(message.sender)) return "501 5.1.7 Bad sender address syntax";
        // RFC 8689 4.2.1: no fallback; the message bounces (5.7.30, RFC 8689 6).
        if (message.require_tls && !(tls && caps.require_tls)) {
            return std::string("550 5.7.30 REQUIRETLS support required: the receiving server ") +
                   (tls ? "does not offer REQUIRETLS" : "is not reached over TLS");
        }
        if (needs_smtputf8() && !caps.smtputf8) {
            return "553 5.6.7 The receiving server does not support SMTPUTF8, which this "
                   "message needs (RFC 6531 3.4)";
        }
        // RFC 6152 3: 8-bit octets go only to a server that offered 8BITMIME; any other gets
        // the message in 7-bit MIME, or nothing.
        if (!caps.eight_bit_mime && has_non_ascii(message.data)) {
            auto seven_bit = settings.to_seven_bit
                                 ? settings.to_seven_bit(message.data)
                                 : herald::message::convert_to_seven_bit(message.data);
            if (!seven_bit) {
                return "554 5.6.3 The receiving server does not support 8BITMIME and this "
                       "message cannot be converted to 7-bit MIME: " +
                       seven_bit.error();
            }
            converted = std::move(*seven_bit);
            data = converted;
        }
        // RFC 1870 6.1: do not send what the server has already said it will refuse.
        if (caps.size && *caps.size > 0 && data.size() > *caps.size) {
            return "552 5.3.4 Message size exceeds the receiving server's limit of " +
                   std::to_string(*caps.size) + " octets";
        }
        return std::nullopt;
    }

    std::string mail_command() const {
        std::string command = "MAIL FROM:<" + message.sender + ">";
        if (caps.size) command += " SIZE=" + std::to_string(data.size());
        if (caps.eight_bit_mime && needs_8bit()) command += " BODY=8BITMIME";
        if (needs_smtputf8()) command += " SMTPUTF8";
        if (message.require_tls) command += " REQUIRETLS";
        if (caps.dsn && message.dsn_return != message::DsnReturn::unspecified) {
            command += " RET=" + std::string(message::dsn_return_text(message.dsn_return));
        }
        if (caps.dsn && !message.envelope_id.empty()) {
            command += " ENVID=" + message::encode_xtext(message.envelope_id);
        }
        return command;
    }

    // " NOTIFY=... ORCPT=..." for recipient `i`, to a server that offers DSN.
    std::string rcpt_parameters(std::size_t i) const {
        if (!caps.dsn || i >= message.recipient_dsn.size()) return "";
        const message::RecipientDsn& dsn = message.recipient_dsn[i];
        std::string out;
        if (dsn.notify) out += " NOTIFY=" + message::notify_text(*dsn.notify);
        if (const auto semicolon = dsn.orcpt.find(';'); semicolon != std::string::npos) {
            out += " ORCPT=" + dsn.orcpt.substr(0, semicolon + 1) +
                   message::encode_xtext(std::string_view(dsn.orcpt).substr(semicolon + 1));
        }
        return out;
    }

    void begin_transaction() {
        if (auto refused = refusal()) {
            decide_all(RecipientStatus::failed, *refused);
            return finish_transaction(false);
        }
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (!safe_in_command(message.recipients[i])) {
                decide(i, RecipientStatus::failed, "501 5.1.3 Bad recipient address syntax");
            }
        }
        if (std::none_of(rcpt_states.begin(), rcpt_states.end(),
                         [](RcptState s) { return s == RcptState::pending; })) {
            return finish_transaction(false);
        }
        send(mail_command(), Expect::mail);
        if (!caps.pipelining) return;
        // RFC 2920 3.1: MAIL, every RCPT and DATA in one group; the replies say the rest.
        // BDAT waits for the RCPT replies instead: its octets are sent with the command.
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (rcpt_states[i] == RcptState::pending) send_rcpt(i);
        }
        if (!caps.chunking) send("DATA", Expect::data);
    }

    // After the recipients: the text in one BDAT chunk (RFC 3030) where the server takes it,
    // without dot-stuffing or end mark; else DATA.
    void send_text() {
        if (!caps.chunking) return send("DATA", Expect::data);
        output += "BDAT " + std::to_string(data.size()) + " LAST\r\n";
        output += data;
        expected.push_back({Expect::final_dot});
        dot_sent = true;
    }

    bool rcpt_replies_due() const {
        return std::any_of(expected.begin(), expected.end(),
                           [](const Pending& p) { return p.what == Expect::rcpt; });
    }

    // Pipelined with CHUNKING: no DATA went with the group, so the last RCPT reply decides.
    void after_pipelined_recipients() {
        if (mail_refused) return finish_transaction(mail_deferred);
        if (any_accepted()) return send_text();
        finish_transaction(false);
    }

    void send_rcpt(std::size_t i) {
        send("RCPT TO:<" + message.recipients[i] + ">" + rcpt_parameters(i), Expect::rcpt, i);
    }

    void on_rset(const Reply& reply) {
        if (!reply.positive()) return fail_session("RSET refused: " + reply.summary(), true);
        if (!std::exchange(begun_with_rset, false)) return begin_transaction();
        // Decided without a command to the server (a refused sender, say): done now.
        if (!message_pending && expected.empty()) phase = Phase::idle;
    }

    void on_mail(const Reply& reply) {
        if (!reply.positive()) {
            mail_refused = true;
            // A temporary refusal of the sender may be this host's trouble (greylisting,
            // overload): another MX may take the message now.
            mail_deferred = reply.transient();
            decide_all(status_of(reply), reply.summary());
            // Pipelined: the RCPT and DATA replies are still to come and mean nothing now.
            if (!caps.pipelining) finish_transaction(mail_deferred);
            return;
        }
        if (!caps.pipelining) send_next_rcpt(0);
    }

    void send_next_rcpt(std::size_t from) {
        for (std::size_t i = from; i < results.size(); ++i) {
            if (rcpt_states[i] == RcptState::pending) return send_rcpt(i);
        }
        if (any_accepted()) return send_text();
        finish_transaction(false);
    }

    bool any_accepted() const {
        return std::any_of(rcpt_states.begin(), rcpt_states.end(),
                           [](RcptState s) { return s == RcptState::accepted; });
    }

    void on_rcpt(std::size_t i, const Reply& reply) {
        if (!mail_refused) {
            if (reply.code >= 200 && reply.code < 300) {
                rcpt_states[i] = RcptState::accepted;
            } else {
                decide(i, status_of(reply), reply.summary());
            }
        }
        if (!caps.pipelining) return send_next_rcpt(i + 1);
        if (caps.chunking && !rcpt_replies_due()) after_pipelined_recipients();
    }

    void on_data(const Reply& reply) {
        const bool go_ahead = reply.code == 354;
        if (mail_refused || !any_accepted()) {
            // RFC 2920 3.1: the server should have refused DATA; end the empty message.
            if (go_ahead) return send(".", Expect::empty_data);
            return finish_transaction(mail_deferred);
        }
        if (!go_ahead) {
            const RecipientStatus status =
                reply.positive() ? RecipientStatus::deferred : status_of(reply);
            decide_all(status, reply.summary());
            return finish_transaction(false);
        }
        output += dot_stuff(data);
        expected.push_back({Expect::final_dot});
        dot_sent = true;
    }

    void on_final_dot(const Reply& reply) {
        // RFC 5321 4.1.1.4: the reply to the end of data applies to every accepted recipient.
        decide_all(status_of(reply), reply.summary());
        finish_transaction(false);
    }

    void finish_transaction(bool try_next_host) {
        if (!message_pending) return;
        message_pending = false;
        events.emplace_back(TransactionDone{{std::move(results), try_next_host, caps.dsn}});
        results.clear();
        if (phase == Phase::running && expected.empty()) phase = Phase::idle;
    }

    std::string describe_wait() const {
        if (phase == Phase::awaiting_tls) return "the TLS handshake";
        if (expected.empty()) return "nothing";
        switch (expected.front().what) {
            case Expect::greeting:
                return "the greeting";
            case Expect::ehlo:
                return "EHLO";
            case Expect::helo:
                return "HELO";
            case Expect::starttls:
                return "STARTTLS";
            case Expect::auth:
            case Expect::auth_login_user:
            case Expect::auth_login_password:
                return "AUTH";
            case Expect::rset:
                return "RSET";
            case Expect::mail:
                return "MAIL FROM";
            case Expect::rcpt:
                return "RCPT TO";
            case Expect::data:
                return "DATA";
            case Expect::final_dot:
            case Expect::empty_data:
                return "the end of data";
            case Expect::quit:
                return "QUIT";
        }
        return "a reply";
    }

    void end_of_input(const std::string& what) {
        if (phase == Phase::closed) return;
        const bool quitting = !expected.empty() && expected.front().what == Expect::quit;
        if (phase == Phase::idle || quitting) return close();
        fail_session(what + " while waiting for the reply to " + describe_wait(), false);
    }
};

ClientSession::ClientSession(ClientSettings settings, OutboundMessage message)
    : s_(std::make_unique<State>(std::move(settings), std::move(message))) {}

ClientSession::~ClientSession() {
    if (s_->settings.auth) {
        std::string& password = s_->settings.auth->password;
        std::fill(password.begin(), password.end(), '\0');
    }
}

void ClientSession::receive(std::string_view bytes) {
    using Phase = State::Phase;
    if (s_->phase == Phase::closed || s_->phase == Phase::awaiting_tls) return;
    s_->reader.feed(bytes);
    s_->process();
}

void ClientSession::connection_lost(std::string_view why) {
    s_->end_of_input("lost connection (" + std::string(why) + ")");
}

void ClientSession::timed_out() {
    s_->end_of_input("timed out");
}

void ClientSession::tls_started() {
    if (s_->phase != State::Phase::awaiting_tls) return;
    // RFC 3207 4.2: forget what the server said before; ask again over TLS.
    s_->phase = State::Phase::running;
    s_->tls = true;
    s_->caps = Capabilities();
    s_->reader.clear();
    s_->send("EHLO " + s_->settings.helo, State::Expect::ehlo);
}

void ClientSession::tls_failed(std::string_view why) {
    if (s_->phase != State::Phase::awaiting_tls) return;
    s_->phase = State::Phase::running;
    // The connection is in an unknown state after a failed handshake: close, no QUIT.
    s_->fail_session("TLS handshake failed: " + std::string(why), false);
}

bool ClientSession::send_next(OutboundMessage message) {
    if (s_->phase != State::Phase::idle) return false;
    s_->message = std::move(message);
    s_->prepare_results();
    s_->phase = State::Phase::running;
    // RSET first: it clears any state the last transaction left and proves the idle
    // connection still works before the message is committed to it. With PIPELINING the
    // transaction's commands go in the same group (RFC 2920 3.1 lets RSET begin one): the
    // RSET's reply still comes before the text is sent, and the round trip is saved.
    s_->send("RSET", State::Expect::rset);
    s_->begun_with_rset = s_->caps.pipelining;
    if (s_->begun_with_rset) s_->begin_transaction();
    s_->process();
    return true;
}

void ClientSession::quit() {
    if (s_->phase != State::Phase::idle) return;
    s_->send_quit();
    s_->process();
}

std::string ClientSession::take_output() {
    return std::exchange(s_->output, std::string());
}

std::optional<ClientEvent> ClientSession::take_event() {
    if (s_->events.empty()) return std::nullopt;
    ClientEvent event = std::move(s_->events.front());
    s_->events.pop_front();
    return event;
}

ClientWait ClientSession::waiting_for() const {
    using Expect = State::Expect;
    if (s_->phase == State::Phase::awaiting_tls) return ClientWait::tls_handshake;
    if (s_->phase != State::Phase::running || s_->expected.empty()) return ClientWait::nothing;
    switch (s_->expected.front().what) {
        case Expect::greeting:
            return ClientWait::greeting;
        case Expect::mail:
            return ClientWait::mail;
        case Expect::rcpt:
            return ClientWait::rcpt;
        case Expect::data:
            return ClientWait::data_init;
        case Expect::final_dot:
        case Expect::empty_data:
            return ClientWait::final_dot;
        default:
            return ClientWait::command;
    }
}

bool ClientSession::idle() const {
    return s_->phase == State::Phase::idle;
}

bool ClientSession::closed() const {
    return s_->phase == State::Phase::closed;
}

bool ClientSession::tls_active() const {
    return s_->tls;
}

bool ClientSession::starttls_unavailable() const {
    return s_->starttls_unavailable;
}

}  // namespace herald::smtp
