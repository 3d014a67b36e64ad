#include "message/seven_bit_conversion.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"
#include "base/utf8.hpp"
#include "message/header_block.hpp"

namespace herald::message {

namespace {

// Deeper nesting than this is an attack on the converter, not a message.
constexpr int kMaxDepth = 32;
// Room for the '=' of a soft line break (RFC 2045 6.7 (5)).
constexpr std::size_t kMaxQuotedPrintableRun = kMaxEncodedLine - 1;

constexpr char kHex[] = "0123456789ABCDEF";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Header values are unfolded: only spaces and tabs remain to trim (RFC 5322 3.2.2).
std::string_view trim(std::string_view s) {
    return trimmed(s, " \t");
}

// The parts of a Content-Type value that decide the conversion (RFC 2045 5.1).
struct ContentType {
    std::string type;     // lower case; "" when the field is absent or unreadable
    std::string subtype;  // lower case
    std::optional<std::string> boundary;
};

// A parameter value: a token or a quoted-string (RFC 2045 5.1, RFC 5322 3.2.4).
std::string read_parameter_value(std::string_view& rest) {
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
        rest.remove_prefix(1);
        while (!rest.empty() && rest.front() != '"') {
            if (rest.front() == '\\' && rest.size() > 1) rest.remove_prefix(1);
            value += rest.front();
            rest.remove_prefix(1);
        }
        if (!rest.empty()) rest.remove_prefix(1);
        return value;
    }
    while (!rest.empty() && rest.front() != ';' && !is_wsp(rest.front())) {
        value += rest.front();
        rest.remove_prefix(1);
    }
    return value;
}

ContentType parse_content_type(std::string_view value) {
    ContentType ct;
    const std::size_t slash = value.find('/');
    if (slash == std::string_view::npos) return ct;
    std::size_t end = value.find_first_of("; \t(", slash);
    if (end == std::string_view::npos) end = value.size();
    ct.type = ascii_lowercase(trim(value.substr(0, slash)));
    ct.subtype = ascii_lowercase(trim(value.substr(slash + 1, end - slash - 1)));
    std::string_view rest = value.substr(end);
    while (true) {
        const std::size_t semicolon = rest.find(';');
        if (semicolon == std::string_view::npos) break;
        rest = rest.substr(semicolon + 1);
        while (!rest.empty() && is_wsp(rest.front())) rest.remove_prefix(1);
        const std::size_t equals = rest.find('=');
        if (equals == std::string_view::npos) break;
        const std::string name = ascii_lowercase(trim(rest.substr(0, equals)));
        rest = rest.substr(equals + 1);
        while (!rest.empty() && is_wsp(rest.front())) rest.remove_prefix(1);
        std::string parameter = read_parameter_value(rest);
        if (name == "boundary" && !ct.boundary) ct.boundary = std::move(parameter);
    }
    return ct;
}

enum class Encoding { seven_bit, eight_bit, binary, quoted_printable, base64, unknown };

Encoding parse_encoding(const HeaderField* field) {
    if (!field) return Encoding::seven_bit;  // RFC 2045 6.1: the default
    const std::string value = ascii_lowercase(trim(field->value));
    if (value == "7bit") return Encoding::seven_bit;
    if (value == "8bit") return Encoding::eight_bit;
    if (value == "binary") return Encoding::binary;
    if (value == "quoted-printable") return Encoding::quoted_printable;
    if (value == "base64") return Encoding::base64;
    return Encoding::unknown;
}

bool encoded(Encoding e) {
    return e == Encoding::quoted_printable || e == Encoding::base64 || e == Encoding::unknown;
}

// Where a part begins and ends, by its own headers and the line it sits in.
struct Entity {
    std::string_view text;
    HeaderBlock headers;
    std::size_t body_begin = 0;

    explicit Entity(std::string_view t) : text(t), headers(HeaderBlock::parse(t)) {
        body_begin = headers.end();
        const std::string_view after = text.substr(body_begin);
        if (after.starts_with("\r\n")) {
            body_begin += 2;
        } else if (after.starts_with("\n")) {
            body_begin += 1;
        }
    }

    // Everything up to the blank line, lines the header parser stopped at included: 8-bit
    // octets there are header octets to any reader that is less strict.
    std::string_view up_to_blank_line() const {
        if (text.starts_with("\r\n")) return {};
        const std::size_t blank = text.find("\r\n\r\n");
        return blank == std::string_view::npos ? text : text.substr(0, blank + 2);
    }
    std::string_view body() const { return text.substr(body_begin); }
};

// The header section with the edits the conversion makes: the Content-Transfer-Encoding
// replaced (or added), and fields appended.
std::string edited_headers(const Entity& entity, std::optional<std::string_view> encoding,
                           const std::vector<std::string>& added) {
    const std::string_view text = entity.text;
    std::string out;
    std::size_t copied = 0;
    bool replaced = false;
    if (encoding) {
        for (const auto& field : entity.headers.fields()) {
            if (!same_field_name(field.name, "Content-Transfer-Encoding")) continue;
            out.append(text.substr(copied, field.begin - copied));
            // The first is rewritten in place; any repeat would contradict it.
            if (!replaced) out += "Content-Transfer-Encoding: " + std::string(*encoding) + "\r\n";
            replaced = true;
            copied = field.end;
        }
    }
    out.append(text.substr(copied, entity.headers.end() - copied));
    if (!entity.headers.ends_with_line_break() && !entity.headers.fields().empty()) out += "\r\n";
    for (const auto& field : added) out += field + "\r\n";
    if (encoding && !replaced)
        out += "Content-Transfer-Encoding: " + std::string(*encoding) + "\r\n";
    return out;
}

// The entity again: edited headers, the blank line, the new body.
std::string reassemble(const Entity& entity, std::string headers, std::string_view body) {
    std::string out = std::move(headers);
    std::string_view separator =
        entity.text.substr(entity.headers.end(), entity.body_begin - entity.headers.end());
    out.append(separator.empty() ? std::string_view("\r\n") : separator);
    out.append(body);
    return out;
}

bool ends_with_line_break(std::string_view s) {
    return !s.empty() && s.back() == '\n';
}

// Quoted-printable keeps text readable where most of it is ASCII (RFC 2045 6.7); when more
// than half its octets would be escaped (non-Latin scripts), every one of them three
// characters long, base64 is the reasonable form (RFC 2045 6.8).
bool quoted_printable_is_reasonable(std::string_view body) {
    const auto high = std::count_if(body.begin(), body.end(), is_non_ascii);
    return static_cast<std::size_t>(high) * 2 <= body.size();
}

struct Delimiter {
    std::size_t begin = 0;  // the CRLF before it, where there is one
    std::size_t line = 0;   // the "--boundary" line
    std::size_t next = 0;   // the line after it
    bool close = false;
};

// The delimiter lines of a multipart body, up to and with the close delimiter (RFC 2046
// 5.1.1): "--boundary" at the start of a line, then only transport padding, or "--" for the
// last.
std::vector<Delimiter> find_delimiters(std::string_view body, std::string_view boundary) {
    std::vector<Delimiter> delimiters;
    const std::string dash = "--" + std::string(boundary);
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t lf = body.find('\n', pos);
        const std::size_t next = lf == std::string_view::npos ? body.size() : lf + 1;
        std::string_view line = body.substr(pos, next - pos);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.remove_suffix(1);
        }
        if (line.starts_with(dash)) {
            std::string_view rest = line.substr(dash.size());
            const bool close = rest.starts_with("--");
            if (close) rest.remove_prefix(2);
            if (trim(rest).empty()) {  // transport padding only
                std::size_t begin = pos;
                if (begin >= 2 && body.substr(begin - 2, 2) == "\r\n") {
                    begin -= 2;
                } else if (begin >= 1 && body[begin - 1] == '\n') {
                    begin -= 1;
                }
                delimiters.push_back({begin, pos, next, close});
                if (close) break;
            }
        }
        pos = next;
    }
    return delimiters;
}

// Whether a header section of `text` or of anything it encloses has 8-bit octets.
bool eight_bit_header_in(std::string_view text, bool in_digest, int depth) {
    if (!has_non_ascii(text)) return false;
    if (depth > kMaxDepth) return true;  // too deep to tell: assume the worst
    const Entity e(text);
    if (has_non_ascii(e.up_to_blank_line())) return true;
    const HeaderField* type_field = e.headers.find("Content-Type");
    ContentType type = type_field ? parse_content_type(type_field->value) : ContentType{};
    if (type.type.empty() && in_digest) type = {"message", "rfc822", std::nullopt};
    if (type.type == "message" && (type.subtype == "rfc822" || type.subtype == "global")) {
        return eight_bit_header_in(e.body(), false, depth + 1);
    }
    if (type.type != "multipart" || !type.boundary) return false;
    const std::string_view body = e.body();
    const auto delimiters = find_delimiters(body, *type.boundary);
    for (std::size_t i = 0; i + 1 < delimiters.size(); ++i) {
        const std::size_t begin = delimiters[i].next;
        const std::size_t end = std::max(begin, delimiters[i + 1].begin);
        if (eight_bit_header_in(body.substr(begin, end - begin), type.subtype == "digest",
                                depth + 1)) {
            return true;
        }
    }
    return false;
}

class Converter {
  public:
    Result<std::string> entity(std::string_view text, bool is_message, bool in_digest, int depth) {
        if (!has_non_ascii(text)) return std::string(text);
        if (depth > kMaxDepth) return Error{"the MIME structure is nested too deeply"};
        const Entity e(text);
        if (has_non_ascii(e.up_to_blank_line())) {
            return Error{"8-bit octets in a header section, which only SMTPUTF8 may carry"};
        }
        const HeaderField* type_field = e.headers.find("Content-Type");
        ContentType type = type_field ? parse_content_type(type_field->value) : ContentType{};
        const bool typed = !type.type.empty();
        if (!typed && in_digest) type = {"message", "rfc822", std::nullopt};  // RFC 2046 5.1.5
        const Encoding encoding = parse_encoding(e.headers.find("Content-Transfer-Encoding"));
        std::vector<std::string> added;
        if (is_message && !e.headers.has("MIME-Version")) added.push_back("MIME-Version: 1.0");

        if (type.type == "multipart") {
            if (encoded(encoding)) {
                return Error{"a multipart body declared " + encoding_name(e) +
                             " holds 8-bit octets"};
            }
            if (!type.boundary || type.boundary->empty()) {
                return Error{"a multipart without a boundary parameter"};
            }
            auto body = multipart(e.body(), *type.boundary, type.subtype == "digest", depth);
            if (!body) return body;
            return reassemble(e, edited_headers(e, seven_bit_label(e), added), *body);
        }
        if (type.type == "message" && type.subtype != "global") {
            if (type.subtype != "rfc822") {
                return Error{"an 8-bit message/" + type.subtype +
                             " body, which may not be encoded (RFC 2046 5.2)"};
            }
            if (encoded(encoding)) {
                return Error{"a message/rfc822 body declared " + encoding_name(e) +
                             " holds 8-bit octets"};
            }
            auto body = entity(e.body(), true, false, depth + 1);
            if (!body) return body;
            return reassemble(e, edited_headers(e, seven_bit_label(e), added), *body);
        }
        // A leaf, message/global included (RFC 6532 3.5 lets it be encoded).
        if (encoded(encoding)) {
            return Error{"a body declared " + encoding_name(e) + " holds 8-bit octets"};
        }
        const std::string_view body = e.body();
        const bool text_type = !typed || type.type == "text";
        if (!type_field) {
            // Without a Content-Type the body is text/plain in US-ASCII (RFC 2045 5.2), which
            // 8-bit text is not: say what it most likely is.
            added.push_back(std::string("Content-Type: text/plain; charset=") +
                            (valid_utf8(body) ? "utf-8" : "unknown-8bit"));
        }
        std::string encoded_body;
        std::string_view label;
        if (text_type && quoted_printable_is_reasonable(body)) {
            encoded_body = encode_quoted_printable(body);
            label = "quoted-printable";
        } else {
            encoded_body = encode_base64_lines(body);
            if (ends_with_line_break(body)) encoded_body += "\r\n";
            label = "base64";
        }
        return reassemble(e, edited_headers(e, label, added), encoded_body);
    }

  private:
    // RFC 2046 5.1.1: each part is what lies between two delimiter lines, the CRLF before a
    // delimiter belonging to the delimiter. Everything but the parts is kept byte for byte.
    Result<std::string> multipart(std::string_view body, std::string_view boundary, bool digest,
                                  int depth) {
        const std::vector<Delimiter> delimiters = find_delimiters(body, boundary);
        if (delimiters.empty() || !delimiters.back().close) {
            return Error{"a multipart without its close delimiter"};
        }
        if (delimiters.size() < 2) return Error{"a multipart without a body part"};
        const std::string_view preamble = body.substr(0, delimiters.front().begin);
        const std::string_view epilogue = body.substr(delimiters.back().next);
        if (has_non_ascii(preamble) || has_non_ascii(epilogue)) {
            return Error{
                "8-bit octets in a multipart preamble or epilogue, which cannot be "
                "encoded"};
        }
        std::string out(body.substr(0, delimiters.front().next));
        for (std::size_t i = 0; i + 1 < delimiters.size(); ++i) {
            const std::size_t begin = delimiters[i].next;
            const std::size_t end = std::max(begin, delimiters[i + 1].begin);
            auto part = entity(body.substr(begin, end - begin), false, digest, depth + 1);
            if (!part) return part;
            out += *part;
            out.append(body.substr(end, delimiters[i + 1].next - end));
        }
        out.append(epilogue);
        return out;
    }

    // A composite whose parts are now 7-bit says so; one that declared nothing stays so.
    static std::optional<std::string_view> seven_bit_label(const Entity& e) {
        if (!e.headers.has("Content-Transfer-Encoding")) return std::nullopt;
        return std::string_view("7bit");
    }

    static std::string encoding_name(const Entity& e) {
        const HeaderField* field = e.headers.find("Content-Transfer-Encoding");
        return field ? std::string(trim(field->value)) : "7bit";
    }
};

}  // namespace

bool has_eight_bit_header(std::string_view message) {
    return has_non_ascii(message) && eight_bit_header_in(message, false, 0);
}

Result<std::string> convert_to_seven_bit(std::string_view message) {
    return Converter().entity(message, true, false, 0);
}

std::string encode_quoted_printable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    std::size_t run = 0;  // characters on the current output line
    auto put = [&](char c, bool literal) {
        const std::size_t width = literal ? 1 : 3;
        if (run + width > kMaxQuotedPrintableRun) {
            out += "=\r\n";
            run = 0;
        }
        // A line that began with "--" could be read as a boundary delimiter.
        if (run == 0 && c == '-') literal = false;
        if (literal) {
            out += c;
            ++run;
            return;
        }
        const auto u = static_cast<unsigned char>(c);
        out += '=';
        out += kHex[u >> 4];
        out += kHex[u & 0x0f];
        run += 3;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            out += "\r\n";  // a hard line break (RFC 2045 6.7 (4))
            run = 0;
            ++i;
            continue;
        }
        if (is_wsp(c)) {
            // RFC 2045 6.7 (3): white space at the end of an encoded line is encoded.
            const bool at_end = i + 1 == text.size() || text.substr(i + 1).starts_with("\r\n");
            put(c, !at_end);
            continue;
        }
        const auto u = static_cast<unsigned char>(c);
        put(c, u >= 33 && u <= 126 && c != '=');
    }
    return out;
}

std::string encode_base64_lines(std::string_view data) {
    std::string out;
    out.reserve(data.size() * 4 / 3 + data.size() / 38 + 4);
    std::size_t run = 0;
    auto put = [&](char c) {
        if (run == kMaxEncodedLine) {
            out += "\r\n";
            run = 0;
        }
        out += c;
        ++run;
    };
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16 |
                           static_cast<unsigned char>(data[i + 1]) << 8 |
                           static_cast<unsigned char>(data[i + 2]);
        put(kBase64[v >> 18 & 63]);
        put(kBase64[v >> 12 & 63]);
        put(kBase64[v >> 6 & 63]);
        put(kBase64[v & 63]);
    }
    if (i < data.size()) {
        const bool two = i + 1 < data.size();
        const unsigned v = static_cast<unsigned char>(data[i]) << 16 |
                           (two ? static_cast<unsigned char>(data[i + 1]) << 8 : 0u);
        put(kBase64[v >> 18 & 63]);
        put(kBase64[v >> 12 & 63]);
        put(two ? kBase64[v >> 6 & 63] : '=');
        put('=');
    }
    return out;
}

}  // namespace herald::message
