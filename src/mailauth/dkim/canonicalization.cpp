#include "mailauth/dkim/canonicalization.hpp"

#include <cctype>

namespace herald::mailauth::dkim {

namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

constexpr std::string_view kCrlf = "\r\n";

// RFC 6376 3.4.2/3.4.4: runs of WSP become one SP; WSP at the end is dropped.
void append_compressed(std::string_view text, std::string& out) {
    bool in_wsp = false;
    for (char c : text) {
        if (is_wsp(c)) {
            in_wsp = true;
            continue;
        }
        if (in_wsp) out += ' ';
        in_wsp = false;
        out += c;
    }
}

}  // namespace

std::string_view to_string(Canonicalization c) {
    return c == Canonicalization::simple ? "simple" : "relaxed";
}

std::optional<Canonicalization> parse_canonicalization(std::string_view text) {
    if (text == "simple") return Canonicalization::simple;
    if (text == "relaxed") return Canonicalization::relaxed;
    return std::nullopt;
}

void canonicalize_header(Canonicalization c, std::string_view raw_field, std::string& out) {
    if (c == Canonicalization::simple) {
        out += raw_field;
        if (!raw_field.ends_with('\n')) out += kCrlf;
        return;
    }
    const std::size_t colon = raw_field.find(':');
    std::string_view name = raw_field.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    for (char ch : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out += ':';
    if (colon == std::string_view::npos) {
        out += kCrlf;
        return;
    }
    // Unfold (delete every CRLF), then compress WSP; leading WSP of the value goes too.
    std::string_view rest = raw_field.substr(colon + 1);
    std::string unfolded;
    unfolded.reserve(rest.size());
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '\r' && i + 1 < rest.size() && rest[i + 1] == '\n') {
            ++i;
            continue;
        }
        unfolded += rest[i];
    }
    std::string_view value = unfolded;
    while (!value.empty() && is_wsp(value.front())) value.remove_prefix(1);
    append_compressed(value, out);
    out += kCrlf;
}

BodyCanonicalizer::BodyCanonicalizer(Canonicalization c, Sink sink)
    : c_(c), sink_(std::move(sink)) {}

void BodyCanonicalizer::update(std::string_view bytes) {
    // A CR that ended the previous piece may pair with an LF starting this one.
    if (!partial_.empty() && partial_.back() == '\r' && !bytes.empty() && bytes.front() == '\n') {
        partial_.pop_back();
        take_line(partial_);
        partial_.clear();
        bytes.remove_prefix(1);
    }
    while (!bytes.empty()) {
        const std::size_t crlf = bytes.find(kCrlf);
        if (crlf == std::string_view::npos) {
            partial_ += bytes;
            return;
        }
        if (partial_.empty()) {
            take_line(bytes.substr(0, crlf));
        } else {
            partial_ += bytes.substr(0, crlf);
            take_line(partial_);
            partial_.clear();
        }
        bytes.remove_prefix(crlf + 2);
    }
}

void BodyCanonicalizer::finish() {
    if (!partial_.empty()) {
        take_line(partial_);
        partial_.clear();
    }
    // RFC 6376 3.4.3: an empty body is a single CRLF under "simple", nothing under "relaxed".
    if (c_ == Canonicalization::simple && !emitted_anything_) {
        sink_(kCrlf);
        emitted_anything_ = true;
    }
    pending_empty_lines_ = 0;
}

void BodyCanonicalizer::take_line(std::string_view line) {
    if (c_ == Canonicalization::relaxed) {
        scratch_.clear();
        append_compressed(line, scratch_);
        line = scratch_;
    }
    // Empty lines are held back: only those followed by text are part of the body.
    if (line.empty()) {
        ++pending_empty_lines_;
        return;
    }
    emit_pending_empty_lines();
    sink_(line);
    sink_(kCrlf);
    emitted_anything_ = true;
}

void BodyCanonicalizer::emit_pending_empty_lines() {
    for (; pending_empty_lines_ > 0; --pending_empty_lines_) sink_(kCrlf);
}

std::string canonicalize_body(Canonicalization c, std::string_view body) {
    std::string out;
    BodyCanonicalizer canonicalizer(c, [&out](std::string_view bytes) { out += bytes; });
    canonicalizer.update(body);
    canonicalizer.finish();
    return out;
}

}  // namespace herald::mailauth::dkim
