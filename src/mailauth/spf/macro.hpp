#pragma once
// SPF macros (RFC 7208 7): the domain-specs of mechanisms and modifiers and the text of an
// explanation are macro-strings, expanded against the values of one check_host() run.
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mailauth/spf/ip_address.hpp"

namespace herald::mailauth::spf {

// Where a macro-string appears: a domain-spec may not use c, r, t (7.1) nor spaces; an
// explanation may (explain-string, 6.2).
enum class MacroUse { domain, explanation };

struct MacroValues {
    std::string sender;          // s: <sender>
    std::string local_part;      // l
    std::string sender_domain;   // o
    std::string domain;          // d: the <domain> being checked
    IpAddress ip;                // i, c, v
    std::string helo;            // h
    std::string validated_name;  // p: see Evaluator; "unknown" when none
    std::string receiver;        // r
    std::string timestamp;       // t
};

// The syntax of a macro-string alone; the error names what is wrong.
Status check_macro_string(std::string_view text, MacroUse use);
// The syntax of a domain-spec (7.1): a macro-string ending in a macro or in "." toplabel.
Status check_domain_spec(std::string_view text);
// Whether `text` uses the macro letter (either case), e.g. 'p' that costs DNS queries.
bool uses_macro(std::string_view text, char letter);

// Expands `text`. For MacroUse::domain the result loses a trailing dot and, past 253
// characters, its leftmost labels (7.3).
Result<std::string> expand(std::string_view text, const MacroValues& values, MacroUse use);

}  // namespace herald::mailauth::spf
