#pragma once
// The header section of a message (RFC 5322 2.2, 3.5): fields in order, unfolded, and where
// the body begins. Tolerant of what arrives in practice: LF-only lines, no blank line before
// the body, no header fields at all.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "message/address_list.hpp"

namespace herald::message {

struct HeaderField {
    std::string name;       // as written, without trailing whitespace
    std::string value;      // unfolded (RFC 5322 2.2.3), surrounding whitespace removed
    std::size_t begin = 0;  // the field's bytes in the parsed text,
    std::size_t end = 0;    // its last line ending included
};

class HeaderBlock {
  public:
    static HeaderBlock parse(std::string_view text);

    // Not of a temporary block: what they return points into it.
    const std::vector<HeaderField>& fields() const& { return fields_; }
    const std::vector<HeaderField>& fields() const&& = delete;
    // Field names compare case-insensitively (RFC 5322 1.2.2).
    std::size_t count(std::string_view name) const;
    const HeaderField* find(std::string_view name) const&;
    const HeaderField* find(std::string_view name) const&& = delete;
    bool has(std::string_view name) const { return find(name) != nullptr; }

    // Offset just past the last field, where a new field may be appended.
    std::size_t end() const { return end_; }
    // Whether the last field line ends with a line break (false: "Subject: x" at end of text).
    bool ends_with_line_break() const { return ends_with_line_break_; }

  private:
    std::vector<HeaderField> fields_;
    std::size_t end_ = 0;
    bool ends_with_line_break_ = true;
};

// How HeaderBlock::parse reads one line of a header section (`content`: without its line
// ending): a new field (its name, trailing whitespace removed, goes to `name`), the
// continuation of the field before it, or the end of the section (the blank line, a
// continuation with no field before it, a line that is no field: body text without a blank
// line). Shared with HeaderSectionScanner so that both draw the same boundary.
enum class HeaderLine { field, continuation, end };
HeaderLine classify_header_line(std::string_view content, bool after_field,
                                std::string_view* name = nullptr);

// Where HeaderBlock::parse(text).end() is, without making the fields: for a caller that only
// splits header from body.
std::size_t header_section_end(std::string_view text);

// Removes the line breaks of folding: CRLF (or LF) followed by whitespace (RFC 5322 2.2.3).
std::string unfold(std::string_view value);

bool same_field_name(std::string_view a, std::string_view b);

// For `sendmail -t`: the addresses of To, Cc and Bcc, and the text with Bcc fields removed
// so that no recipient learns of the blind copies.
std::vector<std::string> take_recipient_headers(std::string& text);

}  // namespace herald::message
