#pragma once
// The tag=value lists of DKIM-Signature fields and key records (RFC 6376 3.2): names are
// case-sensitive, a name may appear once, values keep their inner whitespace.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace herald::mailauth::dkim {

// Folding whitespace as the tag lists allow it (RFC 6376 2.8), and a value without it around.
bool is_fws(char c);
std::string_view trim_fws(std::string_view s);

struct Tag {
    std::string name;
    std::string value;  // surrounding whitespace removed
    // Where the value lies in the parsed text: from just after '=' to the ';' or the end,
    // surrounding whitespace included (what RFC 6376 3.7 blanks out of b=).
    std::size_t value_begin = 0;
    std::size_t value_end = 0;
};

class TagList {
  public:
    // Refuses malformed lists: a tag without '=', a bad name, a repeated name.
    static Result<TagList> parse(std::string_view text);

    const Tag* find(std::string_view name) const;
    const std::vector<Tag>& tags() const { return tags_; }

  private:
    std::vector<Tag> tags_;
};

}  // namespace herald::mailauth::dkim
