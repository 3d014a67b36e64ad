#include "smtp/command_parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"

namespace herald::smtp {

namespace {

std::string_view trim_spaces(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

constexpr std::array<std::pair<std::string_view, Verb>, 13> kVerbs{{
    {"HELO", Verb::helo},
    {"EHLO", Verb::ehlo},
    {"MAIL", Verb::mail},
    {"RCPT", Verb::rcpt},
    {"DATA", Verb::data},
    {"BDAT", Verb::bdat},
    {"RSET", Verb::rset},
    {"NOOP", Verb::noop},
    {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy},
    {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls},
    {"AUTH", Verb::auth},
}};

// The index just past the '>' that closes a path starting at s[0] == '<', or npos. A '>'
// inside a quoted local part ("a>b"@x) does not close it.
std::size_t path_end(std::string_view s) {
    bool quoted = false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && s[i] == '>') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

struct SplitPath {
    std::string_view path;
    std::string_view params;
};

// "FROM:<path> params" -> path and params; nullopt when the keyword or the <> are missing,
// or when something other than a space follows the path.
std::optional<SplitPath> split_path(std::string_view argument, std::string_view keyword) {
    if (!starts_with_ignoring_case(argument, keyword)) return std::nullopt;
    std::string_view rest = argument.substr(keyword.size());
    // Many clients send "MAIL FROM: <a@b>"; RFC 5321 has no space there, but it is harmless.
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty() || rest.front() != '<') return std::nullopt;
    const std::size_t end = path_end(rest);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view params = rest.substr(end);
    if (!params.empty() && params.front() != ' ') return std::nullopt;
    return SplitPath{rest.substr(0, end), trim_spaces(params)};
}

// RFC 5321 4.1.2 esmtp-keyword: (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
bool valid_keyword(std::string_view k) {
    if (k.empty() || !std::isalnum(static_cast<unsigned char>(k.front()))) return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

struct Param {
    std::string_view keyword;
    std::optional<std::string_view> value;
};

std::vector<Param> split_params(std::string_view params) {
    std::vector<Param> out;
    while (!params.empty()) {
        const std::size_t space = params.find(' ');
        std::string_view word = params.substr(0, space);
        params = space == std::string_view::npos ? std::string_view() : params.substr(space + 1);
        if (word.empty()) continue;
        const std::size_t eq = word.find('=');
        if (eq == std::string_view::npos) {
            out.push_back({word, std::nullopt});
        } else {
            out.push_back({word.substr(0, eq), word.substr(eq + 1)});
        }
    }
    return out;
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
    if (v.empty() || v.size() > 20) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return std::numeric_limits<std::uint64_t>::max();
        }
        n = n * 10 + digit;
    }
    return n;
}

Reply bad_parameter(std::string_view param) {
    return Reply(501, "5.5.4", "Invalid parameter " + std::string(param));
}

// Applies one MAIL parameter; a reply when it is refused.
std::optional<Reply> apply_mail_param(const Param& p, MailArguments& args) {
    if (!valid_keyword(p.keyword)) return bad_parameter(p.keyword);
    if (equals_ignoring_case(p.keyword, "SIZE")) {
        if (args.size || !p.value) return bad_parameter(p.keyword);
        args.size = parse_size(*p.value);
        if (!args.size) return bad_parameter(p.keyword);
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "BODY")) {
        if (!p.value) return bad_parameter(p.keyword);
        if (equals_ignoring_case(*p.value, "8BITMIME")) {
            args.body_8bit = true;
        } else if (!equals_ignoring_case(*p.value, "7BIT")) {
            return Reply(501, "5.5.4", "Unsupported BODY type; use 7BIT or 8BITMIME");
        }
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "SMTPUTF8")) {
        if (p.value || args.smtputf8) return bad_parameter(p.keyword);
        args.smtputf8 = true;
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "REQUIRETLS")) {
        if (p.value || args.require_tls) return bad_parameter(p.keyword);
        args.require_tls = true;
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "RET")) {
        auto ret = p.value ? message::parse_dsn_return(*p.value) : std::nullopt;
        if (!ret || args.dsn_return != message::DsnReturn::unspecified) {
            return bad_parameter(p.keyword);
        }
        args.dsn_return = *ret;
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "ENVID")) {
        auto id = p.value ? message::parse_envelope_id(*p.value) : std::nullopt;
        if (!id || args.envelope_id) return bad_parameter(p.keyword);
        args.envelope_id = std::move(*id);
        return std::nullopt;
    }
    return Reply(555, "5.5.4", "Unsupported parameter " + std::string(p.keyword));
}

// Applies one RCPT parameter (RFC 3461 4.1, 4.2); a reply when it is refused.
std::optional<Reply> apply_rcpt_param(const Param& p, message::RecipientDsn& dsn) {
    if (!valid_keyword(p.keyword)) return bad_parameter(p.keyword);
    if (equals_ignoring_case(p.keyword, "NOTIFY")) {
        auto notify = p.value ? message::parse_notify(*p.value) : std::nullopt;
        if (!notify || dsn.notify) return bad_parameter(p.keyword);
        dsn.notify = notify;
        return std::nullopt;
    }
    if (equals_ignoring_case(p.keyword, "ORCPT")) {
        auto orcpt = p.value ? message::parse_orcpt(*p.value) : std::nullopt;
        if (!orcpt || !dsn.orcpt.empty()) return bad_parameter(p.keyword);
        dsn.orcpt = std::move(*orcpt);
        return std::nullopt;
    }
    return Reply(555, "5.5.4", "Unsupported parameter " + std::string(p.keyword));
}

// RFC 6531 3.7.4.1: a non-ASCII address without SMTPUTF8 gets 553 5.6.7.
Reply address_error(std::string_view path, AddressSyntax syntax, std::string_view what,
                    std::string_view enhanced, const std::string& why) {
    if (syntax == AddressSyntax::ascii && has_non_ascii(path)) {
        return Reply(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    }
    return Reply(501, std::string(enhanced),
                 "Bad " + std::string(what) + " address syntax: " + why);
}

}  // namespace

Command parse_command(std::string_view line) {
    const std::size_t space = line.find(' ');
    Command command;
    command.name = line.substr(0, space);
    if (space != std::string_view::npos) command.argument = trim_spaces(line.substr(space + 1));
    for (const auto& [name, verb] : kVerbs) {
        if (equals_ignoring_case(command.name, name)) command.verb = verb;
    }
    return command;
}

Parsed<MailArguments> parse_mail_arguments(std::string_view argument) {
    const auto split = split_path(argument, "FROM:");
    if (!split) return Reply(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
    MailArguments args;
    for (const Param& param : split_params(split->params)) {
        if (auto refused = apply_mail_param(param, args)) return *refused;
    }
    const auto syntax = args.smtputf8 ? AddressSyntax::utf8 : AddressSyntax::ascii;
    auto sender = parse_path(split->path, syntax, /*allow_null=*/true);
    if (!sender) return address_error(split->path, syntax, "sender", "5.1.7", sender.error());
    args.sender = std::move(*sender);
    return args;
}

Parsed<RcptArguments> parse_rcpt_arguments(std::string_view argument, AddressSyntax syntax) {
    const auto split = split_path(argument, "TO:");
    if (!split) return Reply(501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
    RcptArguments args;
    for (const Param& param : split_params(split->params)) {
        if (auto refused = apply_rcpt_param(param, args.dsn)) return *refused;
    }
    auto recipient = parse_path(split->path, syntax, /*allow_null=*/false);
    if (!recipient) {
        return address_error(split->path, syntax, "recipient", "5.1.3", recipient.error());
    }
    args.recipient = std::move(*recipient);
    return args;
}

std::optional<BdatArguments> parse_bdat_arguments(std::string_view argument) {
    const std::size_t space = argument.find(' ');
    const std::string_view size_text = argument.substr(0, space);
    BdatArguments chunk;
    if (space != std::string_view::npos) {
        if (!equals_ignoring_case(argument.substr(space + 1), "LAST")) return std::nullopt;
        chunk.last = true;
    }
    // 20 digits would overflow nothing a client may send: parse_size saturates.
    const auto size = parse_size(size_text);
    if (!size) return std::nullopt;
    chunk.size = *size;
    return chunk;
}

}  // namespace herald::smtp
