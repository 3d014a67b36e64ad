#include "api/mime_message.hpp"

#include <gmime/gmime.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

#include "base/ascii_case.hpp"
#include "base/utf8.hpp"
#include "message/gmime_support.hpp"

namespace herald::api {

using message::GPtr;
using message::init_gmime;

namespace {

// RFC 5322 2.1.1: at most 998 characters on a line, CRLF excluded.
constexpr std::size_t kMaxLine = 998;

struct FormatOptionsFree {
    void operator()(GMimeFormatOptions* options) const { g_mime_format_options_free(options); }
};

// GMime takes C strings: a NUL would silently cut the value short, and CR or LF would end
// the field and let the rest of the value be read as a field of its own (header injection).
Status check_header_text(std::string_view what, std::string_view value) {
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        return Error{std::string(what) + " holds a line break or NUL"};
    }
    if (!valid_utf8(value)) return Error{std::string(what) + " is not UTF-8"};
    return ok_status();
}

Status check_mailbox(std::string_view what, const Mailbox& mailbox) {
    if (mailbox.address.empty()) return Error{std::string(what) + " has no address"};
    for (const char c : mailbox.address) {
        // Canonical addresses carry A-labels, so only an SMTPUTF8 local part is non-ASCII.
        if (const auto octet = static_cast<unsigned char>(c); octet < 0x20 || octet > 0x7e) {
            return Error{std::string(what) + " address " + mailbox.address +
                         " is not ASCII: only SMTPUTF8 can carry it"};
        }
    }
    return check_header_text(std::string(what) + " display name", mailbox.name);
}

bool is_ftext(char c) {
    return c >= 33 && c <= 126 && c != ':';
}

// The fields this builder writes itself; a second one would contradict it.
bool is_builder_field(std::string_view name) {
    for (std::string_view own : {"From", "To", "Cc", "Bcc", "Subject", "MIME-Version"}) {
        if (equals_ignoring_case(name, own)) return true;
    }
    return starts_with_ignoring_case(name, "Content-");
}

// Trace fields are written by the servers a message passes (RFC 5322 3.6.6, 3.6.7), not by its
// author; and GMime's Received formatter takes stack (alloca) for every token of the value.
bool is_trace_field(std::string_view name) {
    return equals_ignoring_case(name, "Received") || equals_ignoring_case(name, "Return-Path") ||
           starts_with_ignoring_case(name, "Resent-");
}

// The other fields GMime formats as address lists (gmime-header.c). A value it cannot read as
// one it writes as nothing, not even the CRLF that ends the field, and the next field runs on
// in this one ("Reply-To: Date: ...").
bool is_address_field(std::string_view name) {
    return equals_ignoring_case(name, "Sender") || equals_ignoring_case(name, "Reply-To") ||
           equals_ignoring_case(name, "Disposition-Notification-To");
}

// Fields GMime writes as given, neither encoded nor folded (gmime-header.c).
bool is_verbatim_field(std::string_view name) {
    return equals_ignoring_case(name, "Message-ID") || equals_ignoring_case(name, "Newsgroups");
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 128; });
}

Status check_header_field(const std::pair<std::string, std::string>& field) {
    const auto& [name, value] = field;
    if (name.empty()) return Error{"a header field has no name"};
    for (char c : name) {
        if (!is_ftext(c)) return Error{"the header field name " + name + " is not valid"};
    }
    if (is_builder_field(name) || is_trace_field(name)) {
        return Error{"the header field " + name + " cannot be set"};
    }
    if (auto s = check_header_text("the header field " + name, value); !s) return s;
    if (is_verbatim_field(name) && !is_ascii(value)) {
        return Error{"the header field " + name + " must be ASCII"};
    }
    if (is_address_field(name)) {
        GPtr<InternetAddressList> addresses{internet_address_list_parse(nullptr, value.c_str())};
        if (!addresses || internet_address_list_length(addresses.get()) == 0) {
            return Error{"the header field " + name + " is not a list of addresses"};
        }
    }
    return ok_status();
}

// Text with every line break (LF, CRLF or a lone CR) as CRLF: text in canonical form (RFC 2045
// 2.10) encodes to the same bytes whatever the transfer encoding.
std::string canonical_line_breaks(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            out += "\r\n";
        } else if (text[i] == '\n') {
            out += "\r\n";
        } else {
            out += text[i];
        }
    }
    return out;
}

// A multipart boundary from the kernel's random pool. GMime's own reads /dev/urandom and, when
// it cannot open it (out of file descriptors), goes on with uninitialised bytes. The "=-" keeps
// it out of base64 and quoted-printable text; its randomness out of 7bit text.
Result<std::string> random_boundary() {
    std::array<unsigned char, 24> bytes{};
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{"no random bytes for a MIME boundary"};
        filled += static_cast<std::size_t>(n);
    }
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string boundary = "=-";
    for (unsigned char b : bytes) boundary += kAlphabet[b % kAlphabet.size()];
    return boundary;
}

Result<GPtr<GMimeMultipart>> multipart(const char* subtype) {
    auto boundary = random_boundary();
    if (!boundary) return Error{boundary.error()};
    GPtr<GMimeMultipart> part{g_mime_multipart_new_with_subtype(subtype)};
    g_mime_multipart_set_boundary(part.get(), boundary->c_str());
    return part;
}

void set_content(GMimePart* part, std::string_view bytes) {
    GPtr<GMimeStream> stream{g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size())};
    GPtr<GMimeDataWrapper> content{
        g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT)};
    g_mime_part_set_content(part, content.get());
}

Result<GPtr<GMimeObject>> text_part(const char* subtype, std::string_view text) {
    if (!valid_utf8(text)) return Error{std::string("the ") + subtype + " body is not UTF-8"};
    GPtr<GMimeObject> part{GMIME_OBJECT(g_mime_text_part_new_with_subtype(subtype))};
    set_content(GMIME_PART(part.get()), canonical_line_breaks(text));
    g_mime_object_set_content_type_parameter(part.get(), "charset", "utf-8");
    // GMime's choice under the 7-bit constraint: base64 for NULs or mostly 8-bit text,
    // quoted-printable for some 8-bit, long lines or "From " lines; none needed otherwise.
    GMimeContentEncoding encoding = g_mime_part_get_best_content_encoding(
        GMIME_PART(part.get()), GMIME_ENCODING_CONSTRAINT_7BIT);
    if (encoding == GMIME_CONTENT_ENCODING_DEFAULT) encoding = GMIME_CONTENT_ENCODING_7BIT;
    g_mime_part_set_content_encoding(GMIME_PART(part.get()), encoding);
    return part;
}

// Parameter values GMime writes as RFC 2231 when they need it, in UTF-8 rather than the
// narrowest charset it would otherwise pick.
void use_utf8(GMimeParamList* params, const char* name) {
    if (GMimeParam* param = g_mime_param_list_get_parameter(params, name)) {
        g_mime_param_set_charset(param, "utf-8");
    }
}

Result<GPtr<GMimeObject>> attachment_part(const Attachment& attachment) {
    const std::string_view content_type = attachment.content_type;
    const std::size_t slash = content_type.find('/');
    const std::string type(content_type.substr(0, slash));
    const std::string subtype(slash == std::string_view::npos ? ""
                                                              : content_type.substr(slash + 1));
    if (!is_mime_token(type) || !is_mime_token(subtype)) {
        return Error{"the attachment type " + attachment.content_type + " is not type/subtype"};
    }
    if (equals_ignoring_case(type, "multipart") || equals_ignoring_case(type, "message")) {
        return Error{"an attachment cannot be " + attachment.content_type +
                     ": composite types cannot be base64-encoded"};
    }
    if (auto s = check_header_text("the attachment filename", attachment.filename); !s) {
        return Error{s.error()};
    }

    GPtr<GMimeObject> part{GMIME_OBJECT(g_mime_part_new_with_type(type.c_str(), subtype.c_str()))};
    set_content(GMIME_PART(part.get()), attachment.content);
    g_mime_object_set_disposition(part.get(), GMIME_DISPOSITION_ATTACHMENT);
    if (!attachment.filename.empty()) {
        // Also the Content-Type "name", which older readers look for.
        g_mime_part_set_filename(GMIME_PART(part.get()), attachment.filename.c_str());
        use_utf8(g_mime_content_disposition_get_parameters(
                     g_mime_object_get_content_disposition(part.get())),
                 "filename");
        use_utf8(g_mime_content_type_get_parameters(g_mime_object_get_content_type(part.get())),
                 "name");
    }
    g_mime_part_set_content_encoding(GMIME_PART(part.get()), GMIME_CONTENT_ENCODING_BASE64);
    return part;
}

Result<GPtr<GMimeObject>> body_of(const MimeContent& content) {
    if (content.text.empty() || content.html.empty()) {
        return content.html.empty() ? text_part("plain", content.text)
                                    : text_part("html", content.html);
    }
    auto alternative = multipart("alternative");
    if (!alternative) return Error{alternative.error()};
    using Alternative = std::pair<const char*, std::string_view>;
    for (auto [subtype, text] : {Alternative{"plain", content.text}, {"html", content.html}}) {
        auto part = text_part(subtype, text);
        if (!part) return Error{part.error()};
        g_mime_multipart_add(alternative->get(), part->get());
    }
    return GPtr<GMimeObject>{GMIME_OBJECT(alternative->release())};
}

Result<GPtr<GMimeObject>> mime_part_of(const MimeContent& content) {
    auto body = body_of(content);
    if (!body || content.request.attachments.empty()) return body;
    auto mixed = multipart("mixed");
    if (!mixed) return Error{mixed.error()};
    g_mime_multipart_add(mixed->get(), body->get());
    for (const Attachment& attachment : content.request.attachments) {
        auto part = attachment_part(attachment);
        if (!part) return Error{part.error()};
        g_mime_multipart_add(mixed->get(), part->get());
    }
    return GPtr<GMimeObject>{GMIME_OBJECT(mixed->release())};
}

Status add_mailbox(GMimeMessage* message, GMimeAddressType type, std::string_view what,
                   const Mailbox& mailbox) {
    if (auto s = check_mailbox(what, mailbox); !s) return s;
    GPtr<InternetAddress> address{
        internet_address_mailbox_new(mailbox.name.c_str(), mailbox.address.c_str())};
    internet_address_set_charset(address.get(), "utf-8");
    internet_address_list_add(g_mime_message_get_addresses(message, type), address.get());
    return ok_status();
}

Status add_headers(GMimeMessage* message, const MimeContent& content) {
    const MessageRequest& request = content.request;
    if (auto s = add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, "From", request.from); !s) return s;
    for (const Mailbox& to : content.to) {
        if (auto s = add_mailbox(message, GMIME_ADDRESS_TYPE_TO, "a To", to); !s) return s;
    }
    for (const Mailbox& cc : request.cc) {
        if (auto s = add_mailbox(message, GMIME_ADDRESS_TYPE_CC, "a Cc", cc); !s) return s;
    }
    if (!content.subject.empty()) {
        if (auto s = check_header_text("the subject", content.subject); !s) return s;
        g_mime_message_set_subject(message, std::string(content.subject).c_str(), "utf-8");
    }
    for (const auto& field : request.headers) {
        if (auto s = check_header_field(field); !s) return s;
        g_mime_object_append_header(GMIME_OBJECT(message), field.first.c_str(),
                                    field.second.c_str(), "utf-8");
    }
    return ok_status();
}

// The promises of the header comment, checked on what GMime wrote rather than assumed.
Status check_output(std::string_view message) {
    std::size_t line_length = 0;
    for (std::size_t i = 0; i < message.size(); ++i) {
        const auto c = static_cast<unsigned char>(message[i]);
        if (c == '\r') {
            if (i + 1 == message.size() || message[i + 1] != '\n') {
                return Error{"GMime wrote a bare CR"};
            }
            ++i;
            line_length = 0;
        } else if (c == '\n') {
            return Error{"GMime wrote a bare LF"};
        } else if (c > 127 || c == 0) {
            return Error{"GMime wrote an 8-bit or NUL octet"};
        } else if (++line_length > kMaxLine) {
            return Error{"GMime wrote a line longer than 998 octets"};
        }
    }
    if (!message.ends_with("\r\n")) return Error{"GMime wrote a message without a final CRLF"};
    return ok_status();
}

}  // namespace

Result<std::string> build_mime_message(const MimeContent& content) {
    if (content.request.raw) return Error{"the request is a whole message already"};
    init_gmime();
    GPtr<GMimeMessage> message{g_mime_message_new(FALSE)};
    if (auto s = add_headers(message.get(), content); !s) return Error{s.error()};
    auto part = mime_part_of(content);
    if (!part) return Error{part.error()};
    g_mime_message_set_mime_part(message.get(), part->get());

    std::unique_ptr<GMimeFormatOptions, FormatOptionsFree> options{g_mime_format_options_new()};
    g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
    // Belt and braces: even a Bcc that got in somehow is not written.
    g_mime_format_options_add_hidden_header(options.get(), "Bcc");
    GPtr<GMimeStream> stream{g_mime_stream_mem_new()};
    if (g_mime_object_write_to_stream(GMIME_OBJECT(message.get()), options.get(), stream.get()) <
        0) {
        return Error{"GMime could not write the message"};
    }
    const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
    std::string out(reinterpret_cast<const char*>(bytes->data), bytes->len);
    if (auto s = check_output(out); !s) return Error{s.error()};
    return out;
}

}  // namespace herald::api
