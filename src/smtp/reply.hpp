#pragma once
// An SMTP reply: code, RFC 3463 enhanced status and text, possibly multi-line (RFC 5321 4.2.1).
#include <string>
#include <vector>

namespace herald::smtp {

struct Reply {
    int code = 250;
    std::string enhanced;  // "2.1.0"; empty for greeting/EHLO lines that carry none
    std::vector<std::string> lines;

    Reply() = default;
    Reply(int code, std::string enhanced, std::string text)
        : code(code), enhanced(std::move(enhanced)), lines{std::move(text)} {}
    Reply(int code, std::string enhanced, std::vector<std::string> lines)
        : code(code), enhanced(std::move(enhanced)), lines(std::move(lines)) {}

    bool positive() const { return code < 400; }
    bool transient() const { return code >= 400 && code < 500; }
    bool permanent() const { return code >= 500; }

    // The reply as sent: "250-first\r\n250 last\r\n", enhanced code before each text.
    std::string wire() const;
    // One line for logs: "554 5.7.1 Relay access denied".
    std::string summary() const;
};

}  // namespace herald::smtp
