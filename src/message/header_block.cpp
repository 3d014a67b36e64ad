#include "message/header_block.hpp"

#include <algorithm>
#include <cctype>

namespace herald::message {

namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// RFC 5322 3.6.8 ftext: printable ASCII except ':'.
bool valid_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

struct Line {
    std::string_view content;  // without the line ending
    std::size_t next = 0;      // offset of the following line
    bool has_break = false;
};

Line line_at(std::string_view text, std::size_t offset) {
    const std::size_t lf = text.find('\n', offset);
    if (lf == std::string_view::npos) return {text.substr(offset), text.size(), false};
    std::size_t content_end = lf;
    if (content_end > offset && text[content_end - 1] == '\r') --content_end;
    return {text.substr(offset, content_end - offset), lf + 1, true};
}

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

bool same_field_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string unfold(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
        if (value[i] == '\n') continue;
        out += value[i];
    }
    return out;
}

HeaderLine classify_header_line(std::string_view content, bool after_field,
                                std::string_view* name) {
    if (content.empty()) return HeaderLine::end;  // the blank line before the body
    if (is_wsp(content.front())) {
        // A continuation line; before any field it means there is no header section.
        return after_field ? HeaderLine::continuation : HeaderLine::end;
    }
    const std::size_t colon = content.find(':');
    if (colon == std::string_view::npos) return HeaderLine::end;  // body text, no blank line
    std::string_view field_name = content.substr(0, colon);
    while (!field_name.empty() && is_wsp(field_name.back())) field_name.remove_suffix(1);
    if (!valid_field_name(field_name)) return HeaderLine::end;
    if (name) *name = field_name;
    return HeaderLine::field;
}

// Calls `on_line(kind, name, offset, line)` for each line of the header section, the line that
// ends it excluded: the one walk that parse() and header_section_end() share.
template <typename OnLine>
void walk_header_section(std::string_view text, OnLine on_line) {
    bool after_field = false;
    for (std::size_t offset = 0; offset < text.size();) {
        const Line line = line_at(text, offset);
        std::string_view name;
        const HeaderLine kind = classify_header_line(line.content, after_field, &name);
        if (kind == HeaderLine::end) return;
        after_field = true;
        on_line(kind, name, offset, line);
        offset = line.next;
    }
}

std::size_t header_section_end(std::string_view text) {
    std::size_t end = 0;
    walk_header_section(text, [&](HeaderLine, std::string_view, std::size_t, const Line& line) {
        end = line.next;
    });
    return end;
}

HeaderBlock HeaderBlock::parse(std::string_view text) {
    HeaderBlock block;
    block.fields_.reserve(16);  // most messages' fields: one allocation, not five
    walk_header_section(
        text, [&](HeaderLine kind, std::string_view name, std::size_t offset, const Line& line) {
            if (kind == HeaderLine::continuation) {
                block.fields_.back().end = line.next;
            } else {
                block.fields_.push_back({std::string(name), "", offset, line.next});
            }
            block.end_ = line.next;
            block.ends_with_line_break_ = line.has_break;
        });
    for (auto& field : block.fields_) {
        const std::string_view raw = text.substr(field.begin, field.end - field.begin);
        const std::string_view value = trim_wsp(raw.substr(raw.find(':') + 1));
        // Only a folded field has line breaks to take out (its last one was trimmed).
        const bool folded = value.find('\n') != std::string_view::npos;
        field.value = folded ? std::string(trim_wsp(unfold(value))) : std::string(value);
    }
    return block;
}

std::size_t HeaderBlock::count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(),
                      [name](const HeaderField& f) { return same_field_name(f.name, name); }));
}

const HeaderField* HeaderBlock::find(std::string_view name) const& {
    auto it = std::find_if(fields_.begin(), fields_.end(),
                           [name](const HeaderField& f) { return same_field_name(f.name, name); });
    return it == fields_.end() ? nullptr : &*it;
}

std::vector<std::string> take_recipient_headers(std::string& text) {
    const HeaderBlock block = HeaderBlock::parse(text);
    std::vector<std::string> recipients;
    for (const auto& field : block.fields()) {
        if (same_field_name(field.name, "To") || same_field_name(field.name, "Cc") ||
            same_field_name(field.name, "Bcc")) {
            for (auto& address : split_address_list(field.value)) {
                recipients.push_back(std::move(address));
            }
        }
    }
    // Back to front, so earlier offsets stay valid while erasing.
    for (auto it = block.fields().rbegin(); it != block.fields().rend(); ++it) {
        if (same_field_name(it->name, "Bcc")) text.erase(it->begin, it->end - it->begin);
    }
    return recipients;
}

}  // namespace herald::message
