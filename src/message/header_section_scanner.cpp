#include "message/header_section_scanner.hpp"

#include <algorithm>

#include "message/header_block.hpp"

namespace herald::message {

void HeaderSectionScanner::update(std::string_view text) {
    while (!ended_ && !text.empty()) {
        const std::size_t lf = text.find('\n');
        const std::size_t take = lf == std::string_view::npos ? text.size() : lf + 1;
        const std::string_view piece = text.substr(0, take);
        if (line_.size() < kKeptLine) {
            line_.append(piece.substr(0, std::min(piece.size(), kKeptLine - line_.size())));
        }
        line_length_ += take;
        text.remove_prefix(take);
        if (lf != std::string_view::npos) end_of_line();
    }
}

void HeaderSectionScanner::finish() {
    if (!ended_ && line_length_ > 0) end_of_line();
    ended_ = true;
}

void HeaderSectionScanner::end_of_line() {
    // As HeaderBlock's line_at: the content stops before "\n" or "\r\n".
    std::string_view content = line_;
    if (content.ends_with('\n')) {
        content.remove_suffix(1);
        if (content.ends_with('\r')) content.remove_suffix(1);
    }
    std::string_view name;
    const HeaderLine kind = classify_header_line(content, seen_field_, &name);
    if (kind == HeaderLine::end) {
        ended_ = true;
    } else {
        if (kind == HeaderLine::field) {
            seen_field_ = true;
            if (same_field_name(name, "Received")) ++received_;
        }
        size_ += line_length_;
    }
    line_.clear();
    line_length_ = 0;
}

}  // namespace herald::message
