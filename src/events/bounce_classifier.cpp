#include "events/bounce_classifier.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

#include "base/ascii_case.hpp"
#include "base/trimmed.hpp"
#include "config/ascii_toml.hpp"
#include "config/toml.hpp"

namespace herald::events {

struct BounceRule {
    std::string name;
    BounceCategory category = BounceCategory::other;
    ReplyCause cause = ReplyCause::none;
    int code = 0;          // 0: any
    int reply_class = 0;   // 0: any; else 4 or 5
    std::string enhanced;  // "": any; ending in '.': a prefix ("5.7.")
    bool has_match = false;
    std::regex match;
};

namespace {

// A pattern that matches lower-cased text as the pattern matched any case: every ASCII letter
// lower-cased but the one after a backslash, which names a class or an escape (\S, \D, \W,
// \B differ from \s, \d, \w, \b).
std::string lowercase_pattern(std::string_view pattern) {
    std::string out(pattern);
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\\') {
            ++i;
            continue;
        }
        out[i] = ascii_lower(out[i]);
    }
    return out;
}

// A reply is read this far before its repeated line prefixes are taken out.
constexpr std::size_t kMaxRead = 2 * BounceClassifier::kMaxSearched;
// A file full of mistakes yields a screenful of errors, not thousands.
constexpr std::size_t kMaxErrors = 50;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int digits_value(std::string_view digits) {
    int value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
}

// "4.7.28" at the start of `text`, ended by a space or the end: its length, or 0. RFC 3463 2:
// class "2" / "4" / "5", then subject and detail of one to three digits each.
std::size_t enhanced_code_length(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') {
        return 0;
    }
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        if (part == 1) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 3) ++i;
        if (i == start) return 0;
    }
    if (i < text.size() && text[i] != ' ') return 0;
    return i;
}

bool is_enhanced_code(std::string_view text) {
    return !text.empty() && enhanced_code_length(text) == text.size();
}

// What a reply starts with. Like delivery::reply_codes, and besides it takes an enhanced code
// with no reply code before it: Herald's own "4.4.7 message expired", a DSN's "5.1.0 - ...".
struct Codes {
    int code = 0;               // 0: the text does not start with a reply code
    std::string_view enhanced;  // "" when there is none
};

Codes codes_of(std::string_view text) {
    Codes codes;
    if (text.size() >= 3 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
        (text.size() == 3 || text[3] == ' ' || text[3] == '-')) {
        codes.code = digits_value(text.substr(0, 3));
        text.remove_prefix(std::min<std::size_t>(4, text.size()));
    }
    if (const std::size_t length = enhanced_code_length(text); length > 0) {
        codes.enhanced = text.substr(0, length);
    }
    return codes;
}

// The first digit of the reply code, or of the enhanced code when there is no reply code.
int reply_class_of(int code, std::string_view enhanced) {
    if (code != 0) return code / 100;
    return enhanced.empty() ? 0 : enhanced[0] - '0';
}

// A multi-line reply, as a DSN's Diagnostic-Code or another MTA joins it, repeats the code on
// every line: "550-5.1.1 The email account ... Please try 550-5.1.1 double-checking ...". The
// repetitions are taken out, so that a phrase that was broken across lines reads whole.
std::string unwrapped(std::string_view text, const Codes& codes) {
    if (codes.code == 0) return std::string(text);
    const std::string_view code = text.substr(0, 3);
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const bool repeated = i > 0 && text[i - 1] == ' ' && text.size() - i > 3 &&
                              text.substr(i, 3) == code &&
                              (text[i + 3] == '-' || text[i + 3] == ' ');
        if (!repeated) {
            out += text[i++];
            continue;
        }
        std::string_view rest = text.substr(i + 4);
        const bool enhanced_follows =
            !codes.enhanced.empty() && rest.substr(0, codes.enhanced.size()) == codes.enhanced &&
            (rest.size() == codes.enhanced.size() || rest[codes.enhanced.size()] == ' ');
        if (enhanced_follows) {
            i += 4 + std::min(codes.enhanced.size() + 1, rest.size());
        } else if (text[i + 3] == '-' || codes.enhanced.empty()) {
            i += 4;
        } else {
            // "550 5.1.1 ... 550 bytes": a number in the text, not a line prefix.
            out += text[i++];
        }
    }
    return out;
}

// When no rule matched: the meaning RFC 3463 (and the IANA registry of enhanced status codes
// it set up) gives the subject and detail, whatever the class.
std::optional<BounceCategory> meaning_of(int subject, int detail) {
    using C = BounceCategory;
    switch (subject) {
        case 1:  // addressing
            switch (detail) {
                case 1:  // bad destination mailbox address
                case 3:  // bad destination mailbox address syntax
                case 4:  // destination mailbox address ambiguous
                    return C::invalid_recipient;
                case 2:   // bad destination system address
                case 10:  // recipient address has null MX (RFC 7505)
                    return C::bad_domain;
                case 6:  // destination mailbox has moved, no forwarding address
                    return C::inactive_mailbox;
                case 7:  // bad sender's mailbox address syntax
                    return C::protocol_errors;
                case 8:  // bad sender's system address: the receiver refuses our sender
                    return C::policy_related;
                default:  // 0 other, 5 valid, 9 relayed to a non-compliant mailer
                    return std::nullopt;
            }
        case 2:  // mailbox
            switch (detail) {
                case 1:  // mailbox disabled, not accepting messages
                    return C::inactive_mailbox;
                case 2:  // mailbox full
                    return C::mailbox_full;
                case 3:  // message length exceeds administrative limit
                    return C::message_too_large;
                default:  // 0 other, 4 mailing list expansion problem
                    return std::nullopt;
            }
        case 3:  // mail system
            switch (detail) {
                case 3:  // system not capable of selected features
                    return C::protocol_errors;
                case 4:  // message too big for system
                    return C::message_too_large;
                default:  // 0 other, 1 system full, 2 not accepting messages, 5 misconfigured
                    return std::nullopt;
            }
        case 4:  // network and routing
            switch (detail) {
                case 5:  // mail system congestion
                    return C::transient_failure;
                case 7:  // delivery time expired
                    return C::message_expired;
                default:  // no answer, bad connection, routing server failure, unable to route,
                          // routing loop
                    return C::routing_errors;
            }
        case 5:  // mail delivery protocol
            return C::protocol_errors;
        case 6:  // message content or media
            return C::content_related;
        case 7:  // security or policy
            switch (detail) {
                case 16:  // message too big for the specified priority (RFC 6710)
                    return C::message_too_large;
                case 17:  // mailbox owner has changed (RFC 7293)
                    return C::inactive_mailbox;
                case 18:  // domain owner has changed (RFC 7293)
                    return C::bad_domain;
                case 28:  // mail flood detected
                    return C::spam_related;
                default:  // delivery not authorized, SPF / DKIM / DMARC / reverse DNS failed
                          // (RFC 7372), encryption needed (RFC 5248), sender null MX, ...
                    return C::policy_related;
            }
        default:
            return std::nullopt;
    }
}

BounceCategory by_status(int reply_class, std::string_view enhanced) {
    // RFC 3463 2: the class says whether the failure is transient (4) or permanent (5); the
    // reply code's class wins over the enhanced code's when they disagree.
    const bool transient = reply_class == 4;
    if (enhanced.empty())
        return transient ? BounceCategory::transient_failure : BounceCategory::other;
    const std::size_t first_dot = enhanced.find('.');
    const std::size_t second_dot = enhanced.find('.', first_dot + 1);
    const int subject = digits_value(enhanced.substr(first_dot + 1, second_dot - first_dot - 1));
    const int detail = digits_value(enhanced.substr(second_dot + 1));
    const std::optional<BounceCategory> meaning = meaning_of(subject, detail);
    if (!transient)
        return reply_class == 5 ? meaning.value_or(BounceCategory::other) : BounceCategory::other;
    // A 4xx keeps the meanings that are temporary by nature; for the others (a "4.1.1" while
    // a directory is unreachable, a greylisting "4.7.1") the failure is just transient, and a
    // hard category would wrongly suggest suppressing the recipient.
    switch (meaning.value_or(BounceCategory::transient_failure)) {
        case BounceCategory::mailbox_full:
        case BounceCategory::routing_errors:
        case BounceCategory::message_expired:
        case BounceCategory::spam_related:
            return *meaning;
        default:
            return BounceCategory::transient_failure;
    }
}

// Skips a DSN diagnostic-type ("smtp;", "X-Postfix;", RFC 3464 2.3.6) before the text.
std::string_view without_diagnostic_type(std::string_view diagnostic) {
    diagnostic = trimmed(diagnostic);
    const std::size_t semicolon = diagnostic.find(';');
    if (semicolon == std::string_view::npos || semicolon == 0) return diagnostic;
    const std::string_view type = diagnostic.substr(0, semicolon);
    const bool is_type = std::all_of(type.begin(), type.end(), [](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    });
    return is_type ? trimmed(diagnostic.substr(semicolon + 1)) : diagnostic;
}

// --- Reading the rules file -----------------------------------------------------------------

std::size_t line_of(const toml::node& node) {
    return node.source().begin.line;
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

// The errors of one rules file, each "file:line: what", in the order found.
class RuleErrors {
  public:
    explicit RuleErrors(std::string_view source) : source_(source) {}

    void add(std::size_t line, std::string_view what) {
        ++count_;
        if (count_ > kMaxErrors) return;
        if (!text_.empty()) text_ += '\n';
        text_ += source_ + ":" + std::to_string(line) + ": " + std::string(what);
    }
    bool empty() const { return count_ == 0; }
    Error error() const {
        if (count_ <= kMaxErrors) return Error{text_};
        return Error{text_ + "\n" + source_ + ": " + std::to_string(count_ - kMaxErrors) +
                     " more errors not shown"};
    }

  private:
    std::string source_;
    std::string text_;
    std::size_t count_ = 0;
};

constexpr std::array<std::string_view, 7> kRuleKeys = {
    "name", "code", "class", "enhanced_code", "match", "category", "cause"};

bool is_rule_name(std::string_view name) {
    // Lower case words joined by single dashes: "gmail-no-such-user".
    if (name.empty() || name.front() == '-' || name.back() == '-') return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool word = is_digit(c) || (c >= 'a' && c <= 'z');
        if (!word && !(c == '-' && name[i - 1] != '-')) return false;
    }
    return true;
}

// "5.1.1" exactly, or a prefix of one ending in a dot: "5.1." or "5.".
bool is_enhanced_condition(std::string_view text) {
    if (is_enhanced_code(text)) return true;
    if (text.size() < 2 || (text[0] != '4' && text[0] != '5') || text[1] != '.') return false;
    if (text.size() == 2) return true;
    const std::string_view subject = text.substr(2, text.size() - 3);
    return text.back() == '.' && !subject.empty() && subject.size() <= 3 &&
           std::all_of(subject.begin(), subject.end(), is_digit);
}

template <std::size_t N>
std::string name_list(const std::array<std::string_view, N>& names, std::size_t first = 0) {
    std::string list;
    for (std::size_t i = first; i < N; ++i) {
        if (!list.empty()) list += ", ";
        list += names[i];
    }
    return list;
}

// Reads one [[rule]] table into a rule, each problem reported with the line of its key (or of
// the table, for a key that is missing).
class RuleReader {
  public:
    RuleReader(const toml::table& table, RuleErrors& errors)
        : table_(table),
          errors_(errors),
          label_("rule at line " + std::to_string(line_of(table))) {}

    BounceRule read(std::unordered_set<std::string>& names) {
        read_name(names);
        for (const auto& [key, node] : table_) {
            if (std::find(kRuleKeys.begin(), kRuleKeys.end(), key.str()) == kRuleKeys.end()) {
                fail(node, "unknown key",
                     quoted(key.str()) +
                         " (a rule has name, category, cause, code, "
                         "class, enhanced_code and match)");
            }
        }
        read_category();
        read_cause();
        read_code();
        read_class();
        read_enhanced_code();
        read_match();
        if (!has_condition_) {
            errors_.add(line_of(table_),
                        label_ + ": has no condition (code, class, enhanced_code or match)");
        }
        return std::move(rule_);
    }

  private:
    void fail(const toml::node& node, std::string_view key, std::string_view what) {
        errors_.add(line_of(node), label_ + ": " + std::string(key) + " " + std::string(what));
    }

    // The string at `key`; nullopt when there is none or it is not a string (reported).
    std::optional<std::string> text(std::string_view key) {
        const toml::node* node = table_.get(key);
        if (node == nullptr) return std::nullopt;
        if (const auto* value = node->as_string()) return value->get();
        fail(*node, key, "must be a string");
        return std::nullopt;
    }

    void read_name(std::unordered_set<std::string>& names) {
        const toml::node* node = table_.get("name");
        if (node == nullptr) {
            errors_.add(line_of(table_), label_ + ": name is missing");
            return;
        }
        auto name = text("name");
        if (!name) return;
        if (!is_rule_name(*name)) {
            fail(*node, "name", quoted(*name) + " must be lower-case words and dashes");
        } else if (!names.insert(*name).second) {
            fail(*node, "name", quoted(*name) + " is the name of an earlier rule");
        } else {
            label_ = "rule " + quoted(*name);
        }
        rule_.name = std::move(*name);
    }

    void read_category() {
        const toml::node* node = table_.get("category");
        if (node == nullptr) {
            errors_.add(line_of(table_), label_ + ": category is missing");
            return;
        }
        auto name = text("category");
        if (!name) return;
        if (auto category = parse_category(*name)) {
            rule_.category = *category;
        } else {
            fail(*node, "category",
                 quoted(*name) + " is not a bounce category (" + name_list(kBounceCategoryNames) +
                     ")");
        }
    }

    void read_cause() {
        const toml::node* node = table_.get("cause");
        if (node == nullptr) return;
        auto name = text("cause");
        if (!name) return;
        // "none" is what a rule without the key says; written out, it is a mistake.
        if (auto cause = parse_cause(*name); cause && *cause != ReplyCause::none) {
            rule_.cause = *cause;
        } else {
            fail(*node, "cause",
                 quoted(*name) + " is not a cause (" + name_list(kReplyCauseNames, 1) + ")");
        }
    }

    void read_code() {
        const toml::node* node = table_.get("code");
        if (node == nullptr) return;
        has_condition_ = true;
        const auto value = node->value_exact<std::int64_t>();
        if (!value) {
            fail(*node, "code", "must be an integer");
        } else if (*value < 400 || *value > 599) {
            fail(*node, "code",
                 std::to_string(*value) +
                     " is not a reply code from 400 to 599 (for any 4xx or 5xx reply, write "
                     "class = 4 or class = 5)");
        } else {
            rule_.code = static_cast<int>(*value);
        }
    }

    void read_class() {
        const toml::node* node = table_.get("class");
        if (node == nullptr) return;
        has_condition_ = true;
        const auto value = node->value_exact<std::int64_t>();
        if (!value || (*value != 4 && *value != 5)) {
            fail(*node, "class", "must be 4 (any 4xx reply) or 5 (any 5xx reply)");
        } else {
            rule_.reply_class = static_cast<int>(*value);
        }
    }

    void read_enhanced_code() {
        const toml::node* node = table_.get("enhanced_code");
        if (node == nullptr) return;
        has_condition_ = true;
        auto code = text("enhanced_code");
        if (!code) return;
        if (is_enhanced_condition(*code)) {
            rule_.enhanced = std::move(*code);
        } else {
            fail(*node, "enhanced_code",
                 quoted(*code) +
                     " is not an enhanced status code (RFC 3463, e.g. \"5.1.1\") or a prefix of "
                     "one ending in '.' (\"5.7.\")");
        }
    }

    void read_match() {
        const toml::node* node = table_.get("match");
        if (node == nullptr) return;
        has_condition_ = true;
        auto pattern = text("match");
        if (!pattern) return;
        if (pattern->empty()) {
            fail(*node, "match", "is empty");
            return;
        }
        try {
            // nosubs: only whether it matches counts, so no submatch is recorded. Matched
            // against the lower-cased reply, without icase: libstdc++'s icase folds every
            // character through the locale at every step, a hundred times slower.
            rule_.match = std::regex(lowercase_pattern(*pattern),
                                     std::regex::ECMAScript | std::regex::nosubs);
            rule_.has_match = true;
        } catch (const std::regex_error& e) {
            fail(*node, "match",
                 quoted(*pattern) + " is not a regular expression: " + std::string(e.what()));
        }
    }

    const toml::table& table_;
    RuleErrors& errors_;
    std::string label_;  // "rule 'gmail-no-such-user'", or "rule at line 12" until it has a name
    BounceRule rule_;
    bool has_condition_ = false;
};

}  // namespace

struct BounceClassifier::Recent {
    static constexpr std::size_t kMost = 4096;
    std::mutex mutex;
    std::unordered_map<std::string, BounceReading> readings;
};

BounceClassifier::BounceClassifier() : recent_(std::make_shared<Recent>()) {}
BounceClassifier::~BounceClassifier() = default;
BounceClassifier::BounceClassifier(const BounceClassifier&) = default;
BounceClassifier::BounceClassifier(BounceClassifier&&) noexcept = default;
BounceClassifier& BounceClassifier::operator=(const BounceClassifier&) = default;
BounceClassifier& BounceClassifier::operator=(BounceClassifier&&) noexcept = default;
BounceClassifier::BounceClassifier(std::vector<BounceRule> rules)
    : rules_(std::move(rules)), recent_(std::make_shared<Recent>()) {}

std::size_t BounceClassifier::size() const {
    return rules_.size();
}

Result<BounceClassifier> BounceClassifier::parse(std::string_view toml_text,
                                                 std::string_view source_name) {
    RuleErrors errors(source_name);
    // toml++ 3.3 reads non-ASCII text through undefined behaviour (config/ascii_toml.hpp).
    auto ascii = config::to_ascii_toml(toml_text);
    if (const auto* problem = std::get_if<config::TomlTextError>(&ascii)) {
        errors.add(problem->line, "syntax error: " + problem->what);
        return errors.error();
    }
    toml::table root;
    try {
        root = toml::parse(std::string_view(std::get<std::string>(ascii)), source_name);
    } catch (const toml::parse_error& e) {
        errors.add(e.source().begin.line, "syntax error: " + std::string(e.description()));
        return errors.error();
    }

    for (const auto& [key, node] : root) {
        if (key.str() != "rule") {
            errors.add(line_of(node), "unknown key " + quoted(key.str()) +
                                          " (a rules file holds [[rule]] tables only)");
        }
    }
    std::vector<BounceRule> rules;
    if (const toml::node* tables = root.get("rule"); tables != nullptr) {
        if (!tables->is_array_of_tables()) {
            errors.add(line_of(*tables), "rule must be written as [[rule]] tables");
        } else {
            std::unordered_set<std::string> names;
            for (const toml::node& table : *tables->as_array()) {
                rules.push_back(RuleReader(*table.as_table(), errors).read(names));
            }
        }
    }
    if (!errors.empty()) return errors.error();
    return BounceClassifier(std::move(rules));
}

BounceReading BounceClassifier::read(std::string_view reply) const {
    reply = reply.substr(0, std::min(reply.size(), kMaxRead));
    std::string key(reply);
    {
        std::lock_guard lock(recent_->mutex);
        if (auto it = recent_->readings.find(key); it != recent_->readings.end()) {
            return it->second;
        }
    }
    const Codes codes = codes_of(reply);
    BounceReading reading = classify_text(reply, codes.code, codes.enhanced);
    std::lock_guard lock(recent_->mutex);
    if (recent_->readings.size() >= Recent::kMost) recent_->readings.clear();
    recent_->readings.emplace(std::move(key), reading);
    return reading;
}

BounceCategory BounceClassifier::classify(std::string_view reply) const {
    return read(reply).category;
}

BounceReading BounceClassifier::read_status(std::string_view status,
                                            std::string_view diagnostic) const {
    std::string_view text = without_diagnostic_type(diagnostic);
    text = text.substr(0, std::min(text.size(), kMaxRead));
    Codes codes = codes_of(text);
    status = trimmed(status);
    if (codes.enhanced.empty() && is_enhanced_code(status)) codes.enhanced = status;
    return classify_text(text, codes.code, codes.enhanced);
}

BounceCategory BounceClassifier::classify_status(std::string_view status,
                                                 std::string_view diagnostic) const {
    return read_status(status, diagnostic).category;
}

BounceReading BounceClassifier::classify_text(std::string_view text, int code,
                                              std::string_view enhanced) const {
    const int reply_class = reply_class_of(code, enhanced);
    try {
        const std::string buffer = ascii_lowercase(unwrapped(text, Codes{code, enhanced}));
        const std::string_view searched =
            std::string_view(buffer).substr(0, std::min(buffer.size(), kMaxSearched));
        for (const BounceRule& rule : rules_) {
            if (rule.code != 0 && rule.code != code) continue;
            if (rule.reply_class != 0 && rule.reply_class != reply_class) continue;
            if (!rule.enhanced.empty()) {
                const bool prefix = rule.enhanced.back() == '.';
                if (prefix ? !enhanced.starts_with(rule.enhanced) : enhanced != rule.enhanced) {
                    continue;
                }
            }
            if (rule.has_match &&
                !std::regex_search(searched.data(), searched.data() + searched.size(),
                                   rule.match)) {
                continue;
            }
            return {.category = rule.category, .cause = rule.cause, .rule = rule.name};
        }
    } catch (...) {
        // std::regex may throw (error_complexity, error_stack) or memory may run out: the
        // codes still say something, and a delivery must not fail for its classification.
    }
    return {.category = by_status(reply_class, enhanced)};
}

}  // namespace herald::events
