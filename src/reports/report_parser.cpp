#include "reports/report_parser.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

#include "base/ascii_case.hpp"
#include "message/gmime_support.hpp"

namespace herald::reports {

using message::GPtr;
using message::init_gmime;

namespace {

// Limits, each far above what a real report needs and low enough that a hostile message of
// any size costs little.
constexpr std::size_t kMaxDepth = 8;                  // multipart levels followed (Gmail uses 3)
constexpr std::size_t kMaxParts = 256;                // MIME entities looked at, in all
constexpr std::size_t kMaxHeaderSection = 64 * 1024;  // of one entity, read for its fields
// A field value, folded lines joined: a report field, and a Content-Type value before GMime
// reads it.
constexpr std::size_t kMaxFieldValue = 2048;
constexpr std::size_t kMaxRecipients = 10000;  // groups read (Herald sends 1000 at most)
constexpr std::size_t kMaxText = 64 * 1024;
constexpr std::size_t kMaxOriginalHeaders = 64 * 1024;
constexpr std::size_t kMaxReply = 512;
constexpr std::size_t kMaxAddresses = 100;
constexpr std::size_t kMaxLocalPart = 1024;  // VERP local parts exceed RFC 5321's 64

struct GFree {
    void operator()(void* memory) const { g_free(memory); }
};

// An iconv descriptor from GMime's cache, given back on every path.
class Converter {
  public:
    Converter(const char* to, const char* from) : cd_(g_mime_iconv_open(to, from)) {}
    ~Converter() {
        if (valid()) g_mime_iconv_close(cd_);
    }
    Converter(const Converter&) = delete;
    Converter& operator=(const Converter&) = delete;
    bool valid() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
    iconv_t get() const { return cd_; }

  private:
    iconv_t cd_;
};

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

// At most `limit` bytes of `text`, not ending inside a UTF-8 sequence.
std::string_view cut(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    // Back over continuation bytes (10xxxxxx) to the lead byte, which goes too.
    std::size_t back = 0;
    while (end > 0 && back < 3 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
        ++back;
    }
    return text.substr(0, end);
}

struct Line {
    std::string_view content;  // without its line break
    std::size_t next = 0;      // where the following line begins
};

// CRLF and a bare LF both end a line (senders that rewrite line ends are common).
Line line_at(std::string_view text, std::size_t offset) {
    const std::size_t lf = text.find('\n', offset);
    if (lf == std::string_view::npos) return {text.substr(offset), text.size()};
    std::size_t end = lf;
    if (end > offset && text[end - 1] == '\r') --end;
    return {text.substr(offset, end - offset), lf + 1};
}

// Empty, or whitespace only: some senders end a group or a header section with " \r\n".
bool is_blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return is_wsp(c) || c == '\r'; });
}

// "Name:" at the start of a line (RFC 5322 3.6.8 ftext, whitespace before the colon
// tolerated): the name, or "" when the line is no field.
std::string_view field_name(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return {};
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    if (name.empty()) return {};
    for (char c : name) {
        if (c < 33 || c > 126) return {};
    }
    return name;
}

// A header-like field as read: the lines of its value, the one after the colon first, each
// trimmed; at most kMaxFieldValue bytes of them are kept.
struct Field {
    std::string_view name;
    std::vector<std::string_view> lines;
    std::size_t size = 0;

    void add(std::string_view line) {
        line = trim(line);
        if (size >= kMaxFieldValue) return;
        line = line.substr(0, kMaxFieldValue - size);
        size += line.size() + 1;
        lines.push_back(line);
    }
};

// Report values end up in log lines and events: a control character (a bare CR, a NUL, a
// tab) becomes a space.
void append_clean(std::string& out, std::string_view text) {
    for (char c : text) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
}

// The lines of folding joined by one space (RFC 5322 2.2.3 unfolding, with the run of
// whitespace at each fold made one).
std::string joined(const Field& field) {
    std::string out;
    for (const auto line : field.lines) {
        if (line.empty()) continue;
        if (!out.empty()) out += ' ';
        append_clean(out, line);
    }
    return out;
}

// The fields of one group (RFC 3464 2.1, RFC 5965 3.1; a header section), from `offset` to
// a blank line or the end of `text`; calls on_field for each. A line that is neither a field
// nor a continuation is skipped: one damaged line does not cost the rest of the group.
// Returns where the next group begins.
template <typename OnField>
std::size_t read_group(std::string_view text, std::size_t offset, OnField&& on_field) {
    Field field;
    bool open = false;
    auto emit = [&] {
        if (open) on_field(field);
        open = false;
    };
    while (offset < text.size()) {
        const Line line = line_at(text, offset);
        offset = line.next;
        if (is_blank(line.content)) break;
        if (is_wsp(line.content.front())) {
            if (open) field.add(line.content);
            continue;
        }
        const std::string_view name = field_name(line.content);
        emit();
        if (name.empty()) continue;
        field.name = name;
        field.lines.clear();
        field.size = 0;
        field.add(line.content.substr(line.content.find(':') + 1));
        open = true;
    }
    emit();
    return offset;
}

// A MIME entity (RFC 2045 3): its header section and its body. Lenient as GMime's parser:
// the header section ends at a blank line, or at a line that is no field (a body without
// the blank line); past kMaxHeaderSection bytes the rest is body, however it looks.
struct Entity {
    std::string_view headers;
    std::string_view body;
};

Entity split_entity(std::string_view text) {
    std::size_t offset = 0;
    bool after_field = false;
    while (offset < text.size() && offset < kMaxHeaderSection) {
        const Line line = line_at(text, offset);
        if (is_blank(line.content)) return {text.substr(0, offset), text.substr(line.next)};
        const bool continuation = is_wsp(line.content.front());
        if (continuation ? !after_field : field_name(line.content).empty()) break;
        after_field = true;
        offset = line.next;
    }
    return {text.substr(0, offset), text.substr(offset)};
}

// The header section of a returned message, whole lines only, at most kMaxOriginalHeaders.
// Blank lines before it (a stray one after the part's own header) are skipped.
std::string header_section(std::string_view message) {
    while (!message.empty()) {
        const Line line = line_at(message, 0);
        if (!is_blank(line.content) || line.next >= message.size()) break;
        message.remove_prefix(line.next);
    }
    const std::string_view headers = split_entity(message).headers;
    if (headers.size() <= kMaxOriginalHeaders) return std::string(headers);
    std::string_view kept = headers.substr(0, kMaxOriginalHeaders);
    const std::size_t lf = kept.rfind('\n');
    return std::string(lf == std::string_view::npos ? std::string_view() : kept.substr(0, lf + 1));
}

// What one entity's Content-Type and Content-Transfer-Encoding say. GMime parses the
// Content-Type value: parameters may be quoted, commented, folded or split (RFC 2231).
struct ContentInfo {
    std::string type = "text";
    std::string subtype = "plain";
    std::string boundary;
    std::string charset;
    GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_DEFAULT;

    bool is(std::string_view t, std::string_view s) const {
        return equals_ignoring_case(type, t) && equals_ignoring_case(subtype, s);
    }
};

ContentInfo content_info(std::string_view headers, bool in_digest) {
    ContentInfo info;
    // RFC 2046 5.1.5: in a multipart/digest, a part without a type is a message.
    if (in_digest) {
        info.type = "message";
        info.subtype = "rfc822";
    }
    std::string content_type;
    std::string transfer_encoding;
    bool have_type = false;
    bool have_encoding = false;
    read_group(headers, 0, [&](const Field& field) {
        if (!have_type && equals_ignoring_case(field.name, "Content-Type")) {
            content_type = joined(field);
            have_type = true;
        } else if (!have_encoding &&
                   equals_ignoring_case(field.name, "Content-Transfer-Encoding")) {
            transfer_encoding = joined(field);
            have_encoding = true;
        }
    });
    if (have_encoding) {
        info.encoding = g_mime_content_encoding_from_string(transfer_encoding.c_str());
    }
    if (!have_type) return info;
    GPtr<GMimeContentType> parsed{g_mime_content_type_parse(nullptr, content_type.c_str())};
    if (!parsed) return info;
    const char* type = g_mime_content_type_get_media_type(parsed.get());
    const char* subtype = g_mime_content_type_get_media_subtype(parsed.get());
    // GMime reads a value it cannot parse as application/octet-stream; a part that says
    // nothing sensible is still not a report.
    if (type && subtype && *type && *subtype) {
        info.type = type;
        info.subtype = subtype;
    }
    if (const char* boundary = g_mime_content_type_get_parameter(parsed.get(), "boundary")) {
        info.boundary = boundary;
    }
    if (const char* charset = g_mime_content_type_get_parameter(parsed.get(), "charset")) {
        info.charset = charset;
    }
    return info;
}

// The body parts of a multipart body (RFC 2046 5.1.1): what lies between the delimiter lines
// "--boundary", up to "--boundary--" or, when that is missing, the end. The line break before
// a delimiter belongs to it. An outer boundary in an inner part ends it, as it should: each
// level only ever sees its own part.
std::vector<std::string_view> body_parts(std::string_view body, std::string_view boundary,
                                         std::size_t max_parts) {
    std::vector<std::string_view> parts;
    std::size_t part_begin = std::string_view::npos;
    std::size_t offset = 0;
    while (offset < body.size()) {
        const std::size_t line_begin = offset;
        const Line line = line_at(body, offset);
        offset = line.next;
        const std::string_view content = line.content;
        if (content.size() < 2 + boundary.size() || content[0] != '-' || content[1] != '-' ||
            content.substr(2, boundary.size()) != boundary) {
            continue;
        }
        std::string_view rest = content.substr(2 + boundary.size());
        const bool close = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
        if (close) rest.remove_prefix(2);
        if (!is_blank(rest)) continue;  // a longer boundary that starts with this one
        if (part_begin != std::string_view::npos) {
            std::size_t end = line_begin;
            if (end > part_begin && body[end - 1] == '\n') --end;
            if (end > part_begin && body[end - 1] == '\r') --end;
            parts.push_back(body.substr(part_begin, end - part_begin));
            if (parts.size() >= max_parts) return parts;
        }
        if (close) return parts;
        part_begin = line.next;
    }
    if (part_begin != std::string_view::npos && part_begin < body.size()) {
        parts.push_back(body.substr(part_begin));  // no close delimiter: the part runs to the end
    }
    return parts;
}

// A body with its Content-Transfer-Encoding undone (RFC 2045 6), at most `limit` bytes.
// Base64 and quoted-printable are decoded by GMime, a chunk at a time so that only what is
// kept is decoded; other encodings are the body as it is.
std::string decoded(std::string_view body, GMimeContentEncoding encoding, std::size_t limit) {
    if (encoding != GMIME_CONTENT_ENCODING_BASE64 &&
        encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        return std::string(body.substr(0, limit));
    }
    constexpr std::size_t kChunk = 16 * 1024;
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, encoding);
    std::string out;
    std::string buffer;
    for (std::size_t offset = 0; offset < body.size() && out.size() < limit; offset += kChunk) {
        const std::size_t length = std::min(kChunk, body.size() - offset);
        buffer.resize(g_mime_encoding_outlen(&state, length));
        const std::size_t n =
            g_mime_encoding_step(&state, body.data() + offset, length, buffer.data());
        out.append(buffer.data(), std::min(n, buffer.size()));
    }
    if (out.size() > limit) out.resize(limit);
    return out;
}

// Text in its declared charset, as UTF-8 when GMime can convert it; as it is otherwise (the
// fallback looks for ASCII digits, which every charset a report uses keeps).
std::string utf8_text(std::string text, const std::string& charset) {
    if (charset.empty() || equals_ignoring_case(charset, "us-ascii") ||
        equals_ignoring_case(charset, "utf-8") || text.empty()) {
        return text;
    }
    const Converter converter("UTF-8", charset.c_str());
    if (!converter.valid()) return text;
    std::unique_ptr<char, GFree> converted{
        g_mime_iconv_strndup(converter.get(), text.data(), text.size())};
    if (!converted) return text;
    return std::string(cut(converted.get(), kMaxText));
}

// Where the walk found the parts that matter, as views into the message.
struct Found {
    enum class ReportType { none, delivery_status, feedback };
    ReportType report_type = ReportType::none;
    std::string_view report_body;
    GMimeContentEncoding report_encoding = GMIME_CONTENT_ENCODING_DEFAULT;

    bool have_text = false;
    std::string_view text_body;
    GMimeContentEncoding text_encoding = GMIME_CONTENT_ENCODING_DEFAULT;
    std::string text_charset;

    bool have_original = false;
    std::string_view original_body;
    GMimeContentEncoding original_encoding = GMIME_CONTENT_ENCODING_DEFAULT;

    std::size_t parts = 0;
    bool limited = false;
};

bool is_original_type(const ContentInfo& info) {
    return info.is("message", "rfc822") || info.is("message", "global") ||
           info.is("message", "rfc2822") || info.is("text", "rfc822-headers") ||
           info.is("message", "global-headers");
}

// Depth first, in document order, into multiparts only: an attached message (the returned
// original, which may itself be a bounce) is read for its headers, never for reports.
void walk(std::string_view text, std::size_t depth, bool in_digest, Found& found) {
    if (found.parts >= kMaxParts) {
        found.limited = true;
        return;
    }
    ++found.parts;
    const Entity entity = split_entity(text);
    const ContentInfo info = content_info(entity.headers, in_digest);

    if (equals_ignoring_case(info.type, "multipart")) {
        if (info.boundary.empty()) {
            // Nothing to split it by: the text the fallback can search, at least.
            if (!found.have_text) {
                found.have_text = true;
                found.text_body = entity.body;
                found.text_encoding = info.encoding;
            }
            return;
        }
        if (depth >= kMaxDepth) {
            found.limited = true;
            return;
        }
        const bool digest = equals_ignoring_case(info.subtype, "digest");
        for (const auto part : body_parts(entity.body, info.boundary, kMaxParts)) {
            if (found.parts >= kMaxParts) {
                found.limited = true;
                break;
            }
            walk(part, depth + 1, digest, found);
        }
        return;
    }
    if (info.is("message", "delivery-status") || info.is("message", "global-delivery-status") ||
        info.is("message", "feedback-report")) {
        if (found.report_type == Found::ReportType::none) {
            found.report_type = info.is("message", "feedback-report")
                                    ? Found::ReportType::feedback
                                    : Found::ReportType::delivery_status;
            found.report_body = entity.body;
            found.report_encoding = info.encoding;
        }
        return;
    }
    if (is_original_type(info)) {
        if (!found.have_original) {
            found.have_original = true;
            found.original_body = entity.body;
            found.original_encoding = info.encoding;
        }
        return;
    }
    if (info.is("text", "plain") && !found.have_text) {
        found.have_text = true;
        found.text_body = entity.body;
        found.text_encoding = info.encoding;
        found.text_charset = info.charset;
    }
}

// A value with a type in front (RFC 3464 2.1.2: "rfc822; jane@example.net", "dns; mx.example.net",
// "smtp; 550 ..."). The type is an atom; a value whose part before the first ';' is not one
// has no type ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found").
struct Typed {
    std::string_view type;
    std::string_view value;
};

Typed typed(std::string_view value) {
    value = trim(value);
    const std::size_t semicolon = value.find(';');
    if (semicolon == std::string_view::npos) return {{}, value};
    const std::string_view type = trim(value.substr(0, semicolon));
    const bool atom =
        !type.empty() && type.size() <= 64 && std::all_of(type.begin(), type.end(), [](char c) {
            return is_alnum(c) || c == '-' || c == '_' || c == '.';
        });
    if (!atom) return {{}, value};
    return {type, trim(value.substr(semicolon + 1))};
}

// "rfc822; <jane@example.net>" -> "jane@example.net" (RFC 3464 2.3.1, 2.3.2; RFC 5965 3.5).
std::string address_value(std::string_view value) {
    value = typed(value).value;
    if (value.size() >= 2 && value.front() == '<') {
        const std::size_t close = value.find('>');
        if (close != std::string_view::npos) value = value.substr(1, close - 1);
    }
    return std::string(trim(value));
}

// "dns; mx.example.net. (192.0.2.1, the server for the domain example.net.)" ->
// "mx.example.net" (RFC 3464 2.3.5).
std::string remote_mta_value(std::string_view text) {
    const auto [type, value_view] = typed(text);
    std::string_view value = value_view;
    if (!equals_ignoring_case(type, "dns")) return std::string(value);
    std::size_t end = 0;
    while (end < value.size() && !is_wsp(value[end]) && value[end] != '(') ++end;
    value = value.substr(0, end);
    if (!value.empty() && value.back() == '.') value.remove_suffix(1);
    return std::string(value);
}

// RFC 3463 2: class "." subject "." detail, at most three digits each.
bool is_status_code(std::string_view word) {
    if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.') {
        return false;
    }
    std::size_t digits = 0;
    std::size_t dots = 0;
    for (char c : word.substr(2)) {
        if (c == '.') {
            if (digits == 0 || ++dots > 1) return false;
            digits = 0;
        } else if (!is_digit(c) || ++digits > 3) {
            return false;
        }
    }
    return dots == 1 && digits > 0;
}

// The status code a Status field holds ("5.1.1 (comment)" -> "5.1.1"; the first of its words
// that is one, for "550 5.1.1"), or "".
std::string status_value(std::string_view value) {
    std::size_t offset = 0;
    while (offset < value.size()) {
        while (offset < value.size() && !is_digit(value[offset])) ++offset;
        std::size_t end = offset;
        while (end < value.size() && (is_digit(value[end]) || value[end] == '.')) ++end;
        const std::string_view word = value.substr(offset, end - offset);
        const bool alone = (offset == 0 || !is_alnum(value[offset - 1])) &&
                           (end == value.size() || !is_alnum(value[end]));
        if (alone && is_status_code(word)) return std::string(word);
        offset = end;
    }
    return {};
}

// The first word, lower-cased: "Failed" -> "failed", "abuse (user report)" -> "abuse".
std::string token_value(std::string_view value) {
    value = trim(value);
    std::size_t end = 0;
    while (end < value.size() && !is_wsp(value[end]) && value[end] != '(' && value[end] != ';') {
        ++end;
    }
    return ascii_lowercase(value.substr(0, end));
}

// "550-5.1.1 x" or "550 5.1.1 x": the code and the separator, when the text starts with a
// reply code (RFC 5321 4.2).
bool starts_with_reply_code(std::string_view text) {
    return text.size() >= 4 && (text[0] == '2' || text[0] == '4' || text[0] == '5') &&
           is_digit(text[1]) && is_digit(text[2]) && (text[3] == '-' || text[3] == ' ');
}

// A Diagnostic-Code without its type, folded lines joined. A multi-line SMTP reply folded into
// it (Gmail's "550-5.1.1 ... Please try\n 550-5.1.1 double-checking ...") reads as the one
// reply it is: each continuation line loses the code (and the status code, when the same)
// that the first line already gives, and "550-" becomes "550 ".
std::string diagnostic_value(const Field& field) {
    std::vector<std::string_view> lines = field.lines;
    if (lines.empty()) return {};
    lines.front() = typed(lines.front()).value;
    std::string out;
    std::string_view code;
    std::string_view status;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (i == 0 && starts_with_reply_code(line)) {
            code = line.substr(0, 3);
            std::string_view rest = trim(line.substr(4));
            const std::size_t space = rest.find(' ');
            const std::string_view word = rest.substr(0, space);
            if (is_status_code(word)) status = word;
            out += code;
            out += ' ';
            append_clean(out, rest);
            continue;
        }
        if (!code.empty() && starts_with_reply_code(line) && line.substr(0, 3) == code) {
            line = trim(line.substr(4));
            if (!status.empty() && line.substr(0, status.size()) == status &&
                (line.size() == status.size() || is_wsp(line[status.size()]))) {
                line = trim(line.substr(status.size()));
            }
        }
        if (line.empty()) continue;
        if (!out.empty()) out += ' ';
        append_clean(out, line);
    }
    return out;
}

RecipientStatus recipient_from(const std::vector<std::pair<std::string, Field>>& fields) {
    RecipientStatus r;
    for (const auto& [name, field] : fields) {
        if (name == "final-recipient") {
            r.final_recipient = address_value(joined(field));
        } else if (name == "original-recipient") {
            r.original_recipient = address_value(joined(field));
        } else if (name == "action") {
            r.action = token_value(joined(field));
        } else if (name == "status") {
            r.status = status_value(joined(field));
        } else if (name == "diagnostic-code") {
            r.diagnostic = diagnostic_value(field);
        } else if (name == "remote-mta") {
            r.remote_mta = remote_mta_value(joined(field));
        }
    }
    return r;
}

bool is_recipient_field(std::string_view name) {
    return name == "final-recipient" || name == "original-recipient" || name == "action" ||
           name == "status";
}

// RFC 3464 2.1: a per-message group, then one group per recipient. A report without the
// per-message group (some gateways) is read all the same: a group is a recipient's when it
// has a recipient field.
void read_delivery_status(std::string_view content, Report& report) {
    std::size_t offset = 0;
    std::size_t groups = 0;
    std::size_t empty_groups = 0;
    bool truncated = false;
    while (offset < content.size()) {
        // Only the first value of each field the report uses is kept (views into `content`).
        std::vector<std::pair<std::string, Field>> fields;
        bool recipient_group = false;
        const std::size_t next = read_group(content, offset, [&](const Field& field) {
            std::string name = ascii_lowercase(field.name);
            if (is_recipient_field(name)) recipient_group = true;
            if (name != "final-recipient" && name != "original-recipient" && name != "action" &&
                name != "status" && name != "diagnostic-code" && name != "remote-mta") {
                return;
            }
            for (const auto& kept : fields) {
                if (kept.first == name) return;
            }
            fields.emplace_back(std::move(name), field);
        });
        offset = next;
        if (!recipient_group) continue;  // the per-message group, or blank lines
        ++groups;
        if (report.recipients.size() >= kMaxRecipients) {
            truncated = true;
            break;
        }
        RecipientStatus r = recipient_from(fields);
        if (r.action.empty() && r.status.empty()) {
            ++empty_groups;
            continue;
        }
        report.recipients.push_back(std::move(r));
    }
    if (report.recipients.empty()) {
        report.problem = groups == 0 ? "the delivery-status part has no recipient group"
                                     : "no recipient group of the delivery-status part has an "
                                       "Action or a valid Status";
        return;
    }
    report.kind = Report::Kind::delivery_status;
    if (truncated) {
        report.problem = "the delivery-status part has more than " +
                         std::to_string(kMaxRecipients) +
                         " recipient groups: the rest were not read";
    } else if (empty_groups > 0) {
        report.problem = std::to_string(empty_groups) +
                         " recipient group(s) without an Action or a valid Status left out";
    }
}

// RFC 5965 3.1: one group of fields; blank lines inside are tolerated. Only the first of a
// field that may repeat (Original-Rcpt-To, Reported-Domain) is kept.
void read_feedback_report(std::string_view content, Report& report) {
    FeedbackFields& f = report.feedback;
    std::string received_date;
    auto first = [](std::string& into, std::string value) {
        if (into.empty()) into = std::move(value);
    };
    std::size_t offset = 0;
    while (offset < content.size()) {
        offset = read_group(content, offset, [&](const Field& field) {
            const std::string name = ascii_lowercase(field.name);
            if (name == "feedback-type") {
                first(f.feedback_type, token_value(joined(field)));
            } else if (name == "user-agent") {
                first(f.user_agent, joined(field));
            } else if (name == "version") {
                first(f.version, joined(field));
            } else if (name == "original-mail-from") {
                first(f.original_mail_from, address_value(joined(field)));
            } else if (name == "original-rcpt-to") {
                first(f.original_rcpt_to, address_value(joined(field)));
            } else if (name == "source-ip") {
                first(f.source_ip, joined(field));
            } else if (name == "arrival-date") {
                first(f.arrival_date, joined(field));
            } else if (name == "received-date") {  // the drafts' name, still sent by some
                first(received_date, joined(field));
            } else if (name == "reported-domain") {
                first(f.reported_domain, joined(field));
            }
        });
    }
    if (f.arrival_date.empty()) f.arrival_date = std::move(received_date);
    if (f.feedback_type.empty()) {
        report.problem = "the feedback-report part has no Feedback-Type";
        report.feedback = {};
        return;
    }
    report.kind = Report::Kind::feedback;
}

// Whether a reply code may stand at `at`: a class 4 or 5 code, with a word boundary before it
// and a space, a hyphen or the line's end after it.
bool reply_code_at(std::string_view line, std::size_t at) {
    if (at + 3 > line.size()) return false;
    if (line[at] != '4' && line[at] != '5') return false;
    if (line[at + 1] < '0' || line[at + 1] > '5' || !is_digit(line[at + 2])) return false;
    if (at > 0) {
        const char before = line[at - 1];
        if (!(is_wsp(before) || before == ':' || before == ';' || before == '(' || before == '"' ||
              before == '\'' || before == '=')) {
            return false;
        }
    }
    return at + 3 == line.size() || line[at + 3] == ' ' || line[at + 3] == '-';
}

// The status code after a reply code, when there is one of the same class.
bool status_follows(std::string_view line, std::size_t at) {
    if (at + 4 >= line.size()) return false;
    std::string_view rest = line.substr(at + 4);
    std::size_t end = 0;
    while (end < rest.size() && (is_digit(rest[end]) || rest[end] == '.')) ++end;
    const std::string_view word = rest.substr(0, end);
    return is_status_code(word) && word[0] == line[at];
}

}  // namespace

Report parse_report(std::string_view message) {
    Report report;
    init_gmime();
    // A copy out of an mbox file starts with a "From " line (RFC 4155), which is no field.
    if (message.substr(0, 5) == "From ") message.remove_prefix(line_at(message, 0).next);
    Found found;
    walk(message, 0, false, found);

    if (found.report_type == Found::ReportType::delivery_status) {
        read_delivery_status(decoded(found.report_body, found.report_encoding, message.size()),
                             report);
    } else if (found.report_type == Found::ReportType::feedback) {
        read_feedback_report(decoded(found.report_body, found.report_encoding, message.size()),
                             report);
    } else if (found.limited) {
        report.problem = "no report part within the first " + std::to_string(kMaxParts) +
                         " MIME parts and " + std::to_string(kMaxDepth) + " levels";
    }

    if (found.have_original) {
        // A message/rfc822 part should not be encoded (RFC 2046 5.2.1); some are all the same.
        // The header section is near the start: decoding a little more than its limit is enough.
        // (text/rfc822-headers holds the header section alone; message/rfc822 a whole message.)
        const std::string original =
            decoded(found.original_body, found.original_encoding, 2 * kMaxOriginalHeaders);
        report.original_headers = header_section(original);
    }
    if (found.have_text) {
        // Decoded a little beyond the limit, so that a charset conversion has whole text to cut.
        std::string text = decoded(found.text_body, found.text_encoding, kMaxText + 4);
        text = utf8_text(std::move(text), found.text_charset);
        report.text = std::string(cut(text, kMaxText));
    }
    return report;
}

std::optional<std::string> find_reply_in_text(std::string_view text) {
    std::size_t offset = 0;
    while (offset < text.size()) {
        const Line line = line_at(text, offset);
        offset = line.next;
        const std::string_view content = line.content;
        std::size_t indent = 0;
        while (indent < content.size() && is_wsp(content[indent])) ++indent;
        for (std::size_t at = indent; at + 3 <= content.size(); ++at) {
            if (!reply_code_at(content, at)) continue;
            // Without a status code, only where replies are quoted: a line of its own, after
            // "said:" or "host mx [192.0.2.1]:", or in a sendmail transcript ("<<< 550 ...").
            // (Only the whitespace right before the code is skipped: each run once, so that
            // the search stays linear.)
            std::size_t end = at;
            while (end > indent && is_wsp(content[end - 1])) --end;
            const std::string_view before = content.substr(indent, end - indent);
            if (!status_follows(content, at) && !before.empty() && before.back() != ':' &&
                !before.ends_with("<<<")) {
                continue;
            }
            std::string reply;
            append_clean(reply, cut(trim(content.substr(at)), kMaxReply));
            if (reply.size() > 3 && reply[3] == '-') reply[3] = ' ';
            return reply;
        }
    }
    return std::nullopt;
}

namespace {

// RFC 5322 3.2.3 atext, and the dots of a dot-atom.
bool is_local_part_char(char c) {
    if (is_alnum(c)) return true;
    constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~.";
    return kSpecials.find(c) != std::string_view::npos;
}

bool is_domain_char(char c) {
    return is_alnum(c) || c == '-';
}

}  // namespace

std::vector<std::string> addresses_at(std::string_view headers, std::string_view domain) {
    std::vector<std::string> found;
    if (domain.empty()) return found;
    for (std::size_t at = headers.find('@'); at != std::string_view::npos;
         at = headers.find('@', at + 1)) {
        const std::size_t domain_end = at + 1 + domain.size();
        if (domain_end > headers.size() ||
            !equals_ignoring_case(headers.substr(at + 1, domain.size()), domain)) {
            continue;
        }
        // The domain must end there: not bounces.example.com.evil.example, nor a longer label.
        if (domain_end < headers.size()) {
            const char after = headers[domain_end];
            if (is_domain_char(after)) continue;
            if (after == '.' && domain_end + 1 < headers.size() &&
                is_domain_char(headers[domain_end + 1])) {
                continue;
            }
        }
        std::size_t begin = at;
        while (begin > 0 && at - begin < kMaxLocalPart && is_local_part_char(headers[begin - 1])) {
            --begin;
        }
        if (begin == at || (begin > 0 && is_local_part_char(headers[begin - 1]))) continue;
        std::string address(headers.substr(begin, domain_end - begin));
        if (std::find(found.begin(), found.end(), address) != found.end()) continue;
        found.push_back(std::move(address));
        if (found.size() >= kMaxAddresses) break;
    }
    return found;
}

}  // namespace herald::reports
