#include "api/message_request.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <span>
#include <tuple>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"
#include "base/utf8.hpp"
#include "message/header_block.hpp"
#include "smtp/base64.hpp"
#include "smtp/canonical_address.hpp"

namespace herald::api {

namespace json = boost::json;

namespace {

// Status per message_request.hpp: 400 for what is malformed, 422 for what is well-formed
// but cannot be sent.
RequestError malformed(std::string code, std::string message) {
    return RequestError{400, std::move(code), std::move(message)};
}

RequestError unsendable(std::string code, std::string message) {
    return RequestError{422, std::move(code), std::move(message)};
}

// A value of the client's in an error message: quoted, at most about 64 octets, control
// characters and bytes that are not UTF-8 as \xNN, so that the message is printable UTF-8
// whatever the client sent and a megabyte of address does not come back in the answer.
std::string shown(std::string_view value) {
    constexpr std::size_t kMaxShown = 64;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t i = 0;
    while (i < value.size() && out.size() < kMaxShown) {
        const auto point = decode_utf8(value.substr(i));
        const char32_t c = point ? point->value : 0xFFFD;
        if (point && c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f)) {
            if (c == '"' || c == '\\') out += '\\';
            out.append(value.substr(i, point->length));
            i += point->length;
            continue;
        }
        const auto byte = static_cast<unsigned char>(value[i]);
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
        ++i;
    }
    out += '"';
    if (i < value.size()) out += "...";
    return out;
}

std::string_view view(const json::string& s) {
    return {s.data(), s.size()};
}

// C0 controls but TAB, DEL and C1 controls: in a header field a CR or LF starts a field of
// the client's choosing (header injection), and the others have no business there either.
// `text` is valid UTF-8.
bool has_header_control(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto point = decode_utf8(text.substr(i));
        if (!point) return true;
        const char32_t c = point->value;
        if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f)) return true;
        i += point->length;
    }
    return false;
}

// For substitution values that may go into a body: line breaks and TAB are text there.
bool has_body_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
    });
}

bool is_line_break(char c) {
    return c == '\r' || c == '\n';
}

// RFC 5322 3.6.8 ftext: printable US-ASCII but ':'.
bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

// Fields the builder or the pipeline writes, or that carry someone else's word (signatures,
// trace, authentication results): the client may not set or forge them.
bool is_reserved_header(std::string_view name) {
    static constexpr std::array kExact = {
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Sender",
        "Date",
        "MIME-Version",
        "DKIM-Signature",
        "Received",
        "Return-Path",
        "Authentication-Results",
        "Received-SPF",
        "DomainKey-Signature",
    };
    static constexpr std::array kPrefixes = {"Content-", "ARC-", "Resent-", "X-Herald-"};
    return std::any_of(kExact.begin(), kExact.end(),
                       [&](std::string_view r) { return equals_ignoring_case(name, r); }) ||
           std::any_of(kPrefixes.begin(), kPrefixes.end(),
                       [&](std::string_view p) { return starts_with_ignoring_case(name, p); });
}

// The first '<' outside a quoted display name, or npos.
std::size_t find_angle_bracket(std::string_view s) {
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && s[i] == '<') {
            return i;
        }
    }
    return std::string_view::npos;
}

// `"Quoted, Name"` without its quotes and quoted-pairs; nullopt for a quote left open or
// text after the closing quote. Anything else is the name as written.
std::optional<std::string> display_name(std::string_view written) {
    const std::string_view name = trimmed(written, " \t");
    if (name.empty() || name.front() != '"') return std::string(name);
    std::string out;
    for (std::size_t i = 1; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) {
            out += name[++i];
        } else if (name[i] == '"') {
            if (i + 1 != name.size()) return std::nullopt;
            return out;
        } else {
            out += name[i];
        }
    }
    return std::nullopt;
}

using Substitutions = std::map<std::string, std::map<std::string, std::string>>;

// Reads the request field by field into request_; each read_* returns the first thing wrong.
class RequestReader {
  public:
    explicit RequestReader(const RequestLimits& limits) : limits_(limits) {}

    std::variant<MessageRequest, RequestError> read(std::string_view body) {
        json::parse_options options;
        // Strings are checked here so that a bad byte in "text" is named, not "malformed".
        options.allow_invalid_utf8 = true;
        std::error_code ec;
        json::value parsed = json::parse(body, ec, {}, options);
        if (ec) return malformed("malformed_json", "the body is not JSON: " + ec.message());
        if (!parsed.is_object())
            return malformed("malformed_json", "the body is not a JSON object");
        const json::object& top = parsed.get_object();
        for (auto step : {&RequestReader::check_known_fields, &RequestReader::read_from,
                          &RequestReader::read_recipients, &RequestReader::read_content,
                          &RequestReader::read_substitutions, &RequestReader::read_require_tls,
                          &RequestReader::read_dsn}) {
            if (auto error = (this->*step)(top)) return std::move(*error);
        }
        return std::move(request_);
    }

  private:
    using Check = std::optional<RequestError>;

    static constexpr std::array kFields = {
        "from", "to",   "cc",          "bcc",     "raw",           "raw_base64",  "subject",
        "text", "html", "attachments", "headers", "substitutions", "require_tls", "dsn"};
    static constexpr std::array kDsnFields = {"notify", "ret", "envid"};
    static constexpr std::array kStructuredFields = {"subject", "text", "html", "attachments",
                                                     "headers"};
    static constexpr std::array kAttachmentFields = {"filename", "content_type", "content"};
    // RFC 5322 2.1.1: a line is at most 998 octets; a subject longer than that is no subject.
    static constexpr std::size_t kMaxSubject = 998;
    static constexpr std::size_t kMaxFilename = 255;

    // A field that is absent or null: a client's serializer may write null for "not given".
    static const json::value* field(const json::object& object, std::string_view name) {
        const auto it = object.find(name);
        if (it == object.end() || it->value().is_null()) return nullptr;
        return &it->value();
    }

    static Check unknown_keys(const json::object& object, std::span<const char* const> known,
                              std::string_view where) {
        for (const auto& member : object) {
            const std::string_view key = member.key();
            if (std::none_of(known.begin(), known.end(),
                             [&](std::string_view k) { return k == key; })) {
                return malformed("unknown_field",
                                 std::string(where) + "unknown field " + shown(key));
            }
        }
        return std::nullopt;
    }

    Check check_known_fields(const json::object& top) { return unknown_keys(top, kFields, ""); }

    // A string in valid UTF-8.
    static std::variant<std::string_view, RequestError> text(const json::value& value,
                                                             const std::string& name) {
        if (!value.is_string()) return malformed("invalid_field", name + " must be a string");
        const std::string_view s = view(value.get_string());
        if (!valid_utf8(s)) return malformed("invalid_utf8", name + " is not valid UTF-8");
        return s;
    }

    // A string that goes into a header field as it is.
    static std::variant<std::string_view, RequestError> header_text(const json::value& value,
                                                                    const std::string& name) {
        auto s = text(value, name);
        if (auto* t = std::get_if<std::string_view>(&s); t && has_header_control(*t)) {
            return malformed("header_injection",
                             name + " must not contain line breaks or control characters");
        }
        return s;
    }

    static std::variant<std::string, RequestError> base64(const json::value& value,
                                                          const std::string& name) {
        if (!value.is_string()) return malformed("invalid_field", name + " must be a string");
        auto decoded = smtp::decode_base64(view(value.get_string()));
        if (!decoded) return malformed("invalid_base64", name + " is not valid base64");
        return std::move(*decoded);
    }

    // "addr", "Name <addr>" or "\"Quoted, Name\" <addr>".
    static std::variant<Mailbox, RequestError> mailbox(const json::value& value,
                                                       const std::string& name) {
        if (!value.is_string()) return malformed("invalid_field", name + " must be a string");
        const std::string_view written = view(value.get_string());
        const auto bad = [&](std::string_view why) {
            return malformed("invalid_address", name + ": invalid address " + shown(written) +
                                                    ": " + std::string(why));
        };
        const std::string_view s = trimmed(written, " \t");
        Mailbox out;
        std::string_view address = s;
        if (!s.empty() && s.back() == '>') {
            const std::size_t open = find_angle_bracket(s);
            if (open == std::string_view::npos) return bad("'>' without '<'");
            const std::string_view name_part = s.substr(0, open);
            if (!valid_utf8(name_part)) {
                return malformed("invalid_utf8", name + ": the display name is not valid UTF-8");
            }
            auto display = display_name(name_part);
            if (!display) return bad("unbalanced quotes in the display name");
            if (has_header_control(*display)) {
                return malformed("header_injection",
                                 name +
                                     ": the display name must not contain line breaks or "
                                     "control characters");
            }
            out.name = std::move(*display);
            address = trimmed(s.substr(open + 1, s.size() - open - 2), " \t");
        }
        auto canonical = smtp::canonical_mailbox(address);
        if (!canonical) return bad(canonical.error());
        // "postmaster" alone is a recipient an SMTP server must take (RFC 5321 4.5.1), not an
        // address to send to from here; "" would be the null sender.
        if (canonical->find('@') == std::string::npos) return bad("address has no domain");
        out.address = std::move(*canonical);
        return out;
    }

    Check read_from(const json::object& top) {
        const json::value* value = field(top, "from");
        if (!value) return malformed("missing_field", "from is required");
        auto from = mailbox(*value, "from");
        if (auto* error = std::get_if<RequestError>(&from)) return std::move(*error);
        request_.from = std::get<Mailbox>(std::move(from));
        return std::nullopt;
    }

    Check read_list(const json::object& top, const char* name, std::vector<Mailbox>& list,
                    std::set<std::string>& seen) {
        const json::value* value = field(top, name);
        if (!value) {
            if (std::string_view(name) == "to") return malformed("missing_field", "to is required");
            return std::nullopt;
        }
        if (!value->is_array()) {
            return malformed("invalid_field", std::string(name) + " must be an array of strings");
        }
        const json::array& array = value->get_array();
        if (array.empty() && std::string_view(name) == "to") {
            return malformed("invalid_field", "to must name at least one recipient");
        }
        for (std::size_t i = 0; i < array.size(); ++i) {
            auto entry = mailbox(array[i], std::string(name) + "[" + std::to_string(i) + "]");
            if (auto* error = std::get_if<RequestError>(&entry)) return std::move(*error);
            Mailbox& box = std::get<Mailbox>(entry);
            // The same mailbox twice would be sent twice; the first mention wins.
            if (!seen.insert(box.address).second) continue;
            // Checked as the list grows: a body of a million addresses stops at limit + 1.
            if (seen.size() > limits_.max_recipients) {
                return unsendable("too_many_recipients",
                                  "more than " + std::to_string(limits_.max_recipients) +
                                      " recipients (to, cc and bcc together)");
            }
            list.push_back(std::move(box));
        }
        return std::nullopt;
    }

    Check read_recipients(const json::object& top) {
        std::set<std::string> seen;
        if (auto error = read_list(top, "to", request_.to, seen)) return error;
        if (auto error = read_list(top, "cc", request_.cc, seen)) return error;
        return read_list(top, "bcc", request_.bcc, seen);
    }

    Check read_require_tls(const json::object& top) {
        const json::value* value = field(top, "require_tls");
        if (!value) return std::nullopt;
        if (!value->is_bool())
            return malformed("invalid_field", "require_tls must be true or false");
        request_.require_tls = value->as_bool();
        return std::nullopt;
    }

    Check read_dsn(const json::object& top) {
        const json::value* value = field(top, "dsn");
        if (!value) return std::nullopt;
        if (!value->is_object()) return malformed("invalid_field", "dsn must be an object");
        const json::object& dsn = value->get_object();
        if (auto error = unknown_keys(dsn, kDsnFields, "dsn: ")) return error;
        // Each of the three, when given, as a string that `parse` takes.
        auto read = [&dsn](std::string_view name, auto parse, auto& into,
                           std::string_view rule) -> Check {
            const json::value* given = field(dsn, name);
            if (!given) return std::nullopt;
            auto parsed = given->is_string() ? parse(view(given->get_string())) : std::nullopt;
            if (!parsed) {
                return malformed("invalid_field",
                                 "dsn." + std::string(name) + " must be " + std::string(rule));
            }
            into = std::move(*parsed);
            return std::nullopt;
        };
        message::MessageDsn& out = request_.dsn;
        if (auto error = read("notify", message::parse_notify, out.notify,
                              "\"never\", or \"success\", \"failure\" and \"delay\" "
                              "joined by commas")) {
            return error;
        }
        if (auto error = read("ret", message::parse_dsn_return, out.ret, "\"full\" or \"hdrs\"")) {
            return error;
        }
        return read("envid", message::parse_plain_envelope_id, out.envelope_id,
                    "1 to 100 printable ASCII characters");
    }

    Check read_content(const json::object& top) {
        const json::value* raw = field(top, "raw");
        const json::value* raw_base64 = field(top, "raw_base64");
        const bool structured =
            std::any_of(kStructuredFields.begin(), kStructuredFields.end(),
                        [&](const char* name) { return field(top, name) != nullptr; });
        if (raw && raw_base64) {
            return malformed("conflicting_fields", "give raw or raw_base64, not both");
        }
        if ((raw || raw_base64) && structured) {
            return malformed("conflicting_fields",
                             std::string(raw ? "raw" : "raw_base64") +
                                 " is a whole message: subject, text, html, attachments and "
                                 "headers cannot go with it");
        }
        if (raw) return read_raw(*raw);
        if (raw_base64) return read_raw_base64(*raw_base64);
        return read_structured(top);
    }

    Check read_raw_base64(const json::value& value) {
        auto decoded = base64(value, "raw_base64");
        if (auto* error = std::get_if<RequestError>(&decoded)) return std::move(*error);
        return check_raw(std::get<std::string>(std::move(decoded)), "raw_base64");
    }

    Check read_raw(const json::value& value) {
        if (!value.is_string()) return malformed("invalid_field", "raw must be a string");
        return check_raw(std::string(view(value.get_string())), "raw");
    }

    // A raw message may be 8-bit and have bare LF line endings (normalised later); it must
    // be a message, and SMTP cannot carry a NUL (RFC 5321 4.5.2, 2.3.8).
    Check check_raw(std::string raw, const char* name) {
        const std::string prefix = std::string(name) + ": ";
        if (raw.empty()) return unsendable("invalid_message", prefix + "the message is empty");
        if (raw.find('\0') != std::string::npos) {
            return unsendable("invalid_message", prefix + "the message contains a NUL byte");
        }
        const auto block = message::HeaderBlock::parse(raw);
        if (block.fields().empty()) {
            return unsendable("invalid_message", prefix + "the message has no header section");
        }
        if (!block.has("From")) {
            return unsendable("invalid_message", prefix + "the message has no From: field");
        }
        request_.raw = std::move(raw);
        return std::nullopt;
    }

    Check read_structured(const json::object& top) {
        const json::value* subject = field(top, "subject");
        if (!subject) {
            return malformed("missing_field",
                             "give raw, raw_base64, or subject with text and/or html");
        }
        auto s = header_text(*subject, "subject");
        if (auto* error = std::get_if<RequestError>(&s)) return std::move(*error);
        request_.subject = std::get<std::string_view>(s);
        if (request_.subject.size() > kMaxSubject) {
            return unsendable("subject_too_long",
                              "subject is longer than " + std::to_string(kMaxSubject) + " octets");
        }
        const json::value* text_value = field(top, "text");
        const json::value* html_value = field(top, "html");
        if (!text_value && !html_value) {
            return malformed("missing_field", "give text, html or both");
        }
        for (auto [value, name, out] : {std::tuple{text_value, "text", &request_.text},
                                        std::tuple{html_value, "html", &request_.html}}) {
            if (!value) continue;
            auto body = text(*value, name);
            if (auto* error = std::get_if<RequestError>(&body)) return std::move(*error);
            *out = std::get<std::string_view>(body);
        }
        if (auto error = read_attachments(top)) return error;
        return read_headers(top);
    }

    Check read_attachments(const json::object& top) {
        const json::value* value = field(top, "attachments");
        if (!value) return std::nullopt;
        if (!value->is_array()) {
            return malformed("invalid_field", "attachments must be an array of objects");
        }
        const json::array& array = value->get_array();
        if (array.size() > limits_.max_attachments) {
            return unsendable(
                "too_many_attachments",
                "more than " + std::to_string(limits_.max_attachments) + " attachments");
        }
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (auto error = read_attachment(array[i], "attachments[" + std::to_string(i) + "]")) {
                return error;
            }
        }
        return std::nullopt;
    }

    Check read_attachment(const json::value& value, const std::string& name) {
        if (!value.is_object()) return malformed("invalid_field", name + " must be an object");
        const json::object& object = value.get_object();
        if (auto error = unknown_keys(object, kAttachmentFields, name + ": ")) return error;
        Attachment attachment;

        const json::value* filename = field(object, "filename");
        if (!filename) return malformed("missing_field", name + ".filename is required");
        auto f = text(*filename, name + ".filename");
        if (auto* error = std::get_if<RequestError>(&f)) return std::move(*error);
        attachment.filename = std::get<std::string_view>(f);
        // A name with a path in it is a name a careless mail client may write outside its
        // download folder; control characters would end up in Content-Disposition.
        if (attachment.filename.empty() || attachment.filename.size() > kMaxFilename ||
            has_header_control(attachment.filename) ||
            attachment.filename.find_first_of("/\\") != std::string::npos) {
            return malformed("invalid_filename",
                             name + ".filename must be 1 to " + std::to_string(kMaxFilename) +
                                 " octets without '/', '\\' or control characters");
        }

        attachment.content_type = "application/octet-stream";
        if (const json::value* type = field(object, "content_type")) {
            if (!type->is_string()) {
                return malformed("invalid_field", name + ".content_type must be a string");
            }
            const std::string_view t = view(type->get_string());
            const std::size_t slash = t.find('/');
            // RFC 2046 5.1: a multipart body is never base64, so it cannot be an attachment.
            if (slash == std::string_view::npos || !is_mime_token(t.substr(0, slash)) ||
                !is_mime_token(t.substr(slash + 1)) ||
                equals_ignoring_case(t.substr(0, slash), "multipart")) {
                return malformed("invalid_content_type",
                                 name + ".content_type must be \"type/subtype\", not " + shown(t));
            }
            attachment.content_type = ascii_lowercase(t);
        }

        const json::value* content = field(object, "content");
        if (!content) return malformed("missing_field", name + ".content is required");
        auto decoded = base64(*content, name + ".content");
        if (auto* error = std::get_if<RequestError>(&decoded)) return std::move(*error);
        attachment.content = std::get<std::string>(std::move(decoded));
        request_.attachments.push_back(std::move(attachment));
        return std::nullopt;
    }

    Check read_headers(const json::object& top) {
        const json::value* value = field(top, "headers");
        if (!value) return std::nullopt;
        if (!value->is_object()) {
            return malformed("invalid_field", "headers must be an object of strings");
        }
        const json::object& object = value->get_object();
        if (object.size() > limits_.max_headers) {
            return unsendable("too_many_headers",
                              "more than " + std::to_string(limits_.max_headers) + " headers");
        }
        for (const auto& member : object) {
            const std::string_view name = member.key();
            if (!is_field_name(name)) {
                return malformed("invalid_header_name",
                                 "headers: " + shown(name) + " is not a header field name");
            }
            if (is_reserved_header(name)) {
                return unsendable("reserved_header",
                                  "headers: " + shown(name) + " is written by Herald");
            }
            // JSON keeps "X-A" and "x-a" apart; a message would have the field twice, which
            // RFC 5322 3.6 forbids for Reply-To, Message-ID, In-Reply-To and References.
            for (const auto& [earlier, _] : request_.headers) {
                if (equals_ignoring_case(earlier, name)) {
                    return malformed("duplicate_header",
                                     "headers: " + shown(name) + " is given twice");
                }
            }
            auto v = header_text(member.value(), "headers." + std::string(name));
            if (auto* error = std::get_if<RequestError>(&v)) return std::move(*error);
            request_.headers.emplace_back(name, std::get<std::string_view>(v));
        }
        return std::nullopt;
    }

    // Whether {{name}} (or a variant of it with spaces, filters ...) appears in the subject:
    // over-approximated by looking for the name inside any {{...}}, so that whatever syntax
    // substitutions.hpp settles on, a value with a line break cannot reach the header.
    bool used_in_subject(std::string_view name) const {
        std::string_view subject = request_.subject;
        while (true) {
            const std::size_t open = subject.find("{{");
            if (open == std::string_view::npos) return false;
            const std::size_t close = subject.find("}}", open + 2);
            const std::string_view inside =
                subject.substr(open + 2, close == std::string_view::npos ? std::string_view::npos
                                                                         : close - open - 2);
            if (inside.find(name) != std::string_view::npos) return true;
            if (close == std::string_view::npos) return false;
            subject.remove_prefix(close + 2);
        }
    }

    Check read_substitutions(const json::object& top) {
        const json::value* value = field(top, "substitutions");
        if (!value) return std::nullopt;
        if (!value->is_object()) {
            return malformed("invalid_field", "substitutions must be an object of objects");
        }
        if (request_.raw) {
            return unsendable("batch_with_raw",
                              "substitutions need subject, text or html to substitute into");
        }
        if (!request_.cc.empty() || !request_.bcc.empty()) {
            return unsendable("batch_with_cc",
                              "a batch sends one message per to recipient: cc and bcc cannot "
                              "go with substitutions");
        }
        Substitutions all;
        for (const auto& member : value->get_object()) {
            const std::string where = "substitutions[" + shown(member.key()) + "]";
            auto recipient = smtp::canonical_mailbox(member.key());
            if (!recipient) {
                return malformed("invalid_address",
                                 where + ": invalid address: " + recipient.error());
            }
            if (std::none_of(request_.to.begin(), request_.to.end(),
                             [&](const Mailbox& to) { return to.address == *recipient; })) {
                return unsendable("unknown_recipient", where + " is not one of to");
            }
            if (all.contains(*recipient)) {
                return malformed("invalid_field", where + ": " + *recipient + " is given twice");
            }
            if (!member.value().is_object()) {
                return malformed("invalid_field", where + " must be an object of strings");
            }
            auto& values = all[*recipient];
            for (const auto& entry : member.value().get_object()) {
                const std::string_view name = entry.key();
                const std::string here = where + "." + shown(name);
                if (!valid_utf8(name))
                    return malformed("invalid_utf8", here + " is not valid UTF-8");
                auto v = text(entry.value(), here);
                if (auto* error = std::get_if<RequestError>(&v)) return std::move(*error);
                const std::string_view s = std::get<std::string_view>(v);
                if (has_body_control(s)) {
                    return malformed("invalid_field",
                                     here + " must not contain control characters");
                }
                if (std::any_of(s.begin(), s.end(), is_line_break) && used_in_subject(name)) {
                    return malformed("header_injection",
                                     here + " goes into the subject: no line breaks");
                }
                values.emplace(name, s);
            }
        }
        for (const Mailbox& to : request_.to) {
            if (!all.contains(to.address)) {
                return unsendable("missing_substitutions",
                                  "substitutions has no entry for " + shown(to.address));
            }
        }
        request_.substitutions = std::move(all);
        return std::nullopt;
    }

    const RequestLimits& limits_;
    MessageRequest request_;
};

}  // namespace

std::vector<std::string> MessageRequest::recipients() const {
    std::vector<std::string> out;
    out.reserve(to.size() + cc.size() + bcc.size());
    for (const auto* list : {&to, &cc, &bcc}) {
        for (const Mailbox& box : *list) out.push_back(box.address);
    }
    return out;
}

bool is_mime_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return c > 32 && c < 127 &&
               std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
    });
}

std::variant<MessageRequest, RequestError> parse_message_request(std::string_view body,
                                                                 const RequestLimits& limits) {
    return RequestReader(limits).read(body);
}

}  // namespace herald::api
