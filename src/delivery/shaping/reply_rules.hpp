#pragma once
// Which [[shaping_rule]] a remote reply matches (issue 17). A reply is "421-4.7.28 text" or
// "421 4.7.28 text" (continuation lines joined); a rule matches when its code, enhanced code
// and regex (each where given) all do. The first matching rule of the reply's provider, or of
// every provider, wins. Sans I/O.
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace herald::delivery {

struct ReplyCodes {
    int code = 0;          // 0: the text does not start with a reply code (a local failure)
    std::string enhanced;  // "" when the reply has none
};
ReplyCodes reply_codes(std::string_view reply);

class ReplyRules {
  public:
    explicit ReplyRules(const std::vector<config::ShapingRule>& rules);

    const config::ShapingRule* match(std::string_view provider, std::string_view reply) const;

  private:
    struct Compiled {
        config::ShapingRule rule;
        std::regex text;  // default-constructed (unused) when the rule has no `match`
    };
    std::vector<Compiled> rules_;
};

}  // namespace herald::delivery
