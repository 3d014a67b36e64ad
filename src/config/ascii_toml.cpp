#include "config/ascii_toml.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "base/utf8.hpp"

namespace herald::config {

namespace {

bool is_ascii(char c) {
    return static_cast<unsigned char>(c) < 0x80;
}

class AsciiTomlWriter {
  public:
    explicit AsciiTomlWriter(std::string_view text) : text_(text) {}

    std::variant<std::string, TomlTextError> run() {
        constexpr std::string_view kBom = "\xEF\xBB\xBF";
        if (text_.starts_with(kBom)) at_ = kBom.size();
        while (at_ < text_.size() && !error_) step();
        if (error_) return *error_;
        return std::move(out_);
    }

  private:
    enum class State { normal, comment, basic, multi_basic };

    bool ahead(std::string_view s) const { return text_.substr(at_).starts_with(s); }

    void fail(std::string what) { error_ = TomlTextError{line_, std::move(what)}; }

    // Copies `n` bytes as they are.
    void copy(std::size_t n = 1) {
        for (std::size_t i = 0; i < n && at_ < text_.size(); ++i) {
            if (text_[at_] == '\n') ++line_;
            out_.push_back(text_[at_++]);
        }
    }

    // The non-ASCII character at at_, decoded and consumed; nullopt (and an error) when it
    // is not UTF-8.
    std::optional<char32_t> take_code_point() {
        auto cp = decode_utf8(text_.substr(at_));
        if (!cp) {
            fail("invalid UTF-8");
            return std::nullopt;
        }
        at_ += cp->length;
        return cp->value;
    }

    static std::string escape(char32_t c) {
        return c <= 0xFFFF ? fmt::format("\\u{:04X}", static_cast<unsigned>(c))
                           : fmt::format("\\U{:08X}", static_cast<unsigned>(c));
    }

    void step() {
        const char c = text_[at_];
        switch (state_) {
            case State::normal:
                return step_normal(c);
            case State::comment:
                if (c == '\n') state_ = State::normal;
                if (is_ascii(c)) return copy();
                if (take_code_point()) out_.push_back('?');
                return;
            case State::basic:
            case State::multi_basic:
                return step_basic(c);
        }
    }

    void step_normal(char c) {
        if (!is_ascii(c)) return fail("a non-ASCII character outside a string or comment");
        if (ahead("\"\"\"")) {
            state_ = State::multi_basic;
            return copy(3);
        }
        if (ahead("'''")) return literal_string("'''");
        if (c == '\'') return literal_string("'");
        if (c == '"') state_ = State::basic;
        if (c == '#') state_ = State::comment;
        copy();
    }

    void step_basic(char c) {
        if (!is_ascii(c)) {
            if (auto cp = take_code_point()) out_ += escape(*cp);
            return;
        }
        if (c == '\\') {
            copy();
            if (at_ < text_.size() && !is_ascii(text_[at_])) {
                return fail("a non-ASCII character after a backslash");
            }
            return copy();  // the escaped character: never the end of the string
        }
        if (state_ == State::multi_basic) {
            if (!ahead("\"\"\"")) return copy();
            copy(3);
            // Up to two more quotes belong to the content (TOML 1.0: """a"""" is a").
            for (int extra = 0; extra < 2 && ahead("\""); ++extra) copy();
            state_ = State::normal;
            return;
        }
        if (c == '"' || c == '\n') state_ = State::normal;
        copy();
    }

    // A literal string from at_ (its opening `quote`), copied as it is when ASCII, else
    // written as the basic string of the same value.
    void literal_string(std::string_view quote) {
        const bool multi = quote.size() == 3;
        const std::size_t begin = at_ + quote.size();
        std::size_t end = multi ? text_.find(quote, begin) : text_.find_first_of("'\n", begin);
        const bool terminated = end != std::string_view::npos && text_[end] == '\'';
        if (end == std::string_view::npos) end = text_.size();
        // Up to two more quotes belong to the content (TOML 1.0: '''a'''' is a').
        for (int extra = 0;
             multi && terminated && extra < 2 && end + 3 < text_.size() && text_[end + 3] == '\'';
             ++extra) {
            ++end;
        }
        const std::string_view content = text_.substr(begin, end - begin);
        const std::size_t after = end + (terminated ? quote.size() : 0);
        if (std::all_of(content.begin(), content.end(), is_ascii)) return copy(after - at_);
        const std::string_view basic_quote = multi ? "\"\"\"" : "\"";
        out_ += basic_quote;
        at_ = begin;
        while (at_ < end && !error_) {
            const char c = text_[at_];
            if (!is_ascii(c)) {
                if (auto cp = take_code_point()) out_ += escape(*cp);
            } else if (c == '\\' || c == '"') {
                out_ += '\\';
                copy();
            } else {
                copy();
            }
        }
        if (terminated && !error_) {
            out_ += basic_quote;
            at_ = after;
        }
    }

    std::string_view text_;
    std::size_t at_ = 0;
    std::size_t line_ = 1;
    State state_ = State::normal;
    std::string out_;
    std::optional<TomlTextError> error_;
};

}  // namespace

std::variant<std::string, TomlTextError> to_ascii_toml(std::string_view text) {
    return AsciiTomlWriter(text).run();
}

}  // namespace herald::config
