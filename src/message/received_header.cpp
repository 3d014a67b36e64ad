#include "message/received_header.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/timestamp.hpp"

namespace herald::message {

namespace {

// RFC 5322 2.1.1: lines SHOULD stay within 78 characters.
constexpr std::size_t kFoldWidth = 78;

// What the client chose (HELO, reverse name) must not break the header: no line breaks,
// no control characters, no parentheses that would end our comment early.
std::string header_safe(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 33 || u == 127 || c == '(' || c == ')' || c == '\\') {
            out += '?';
        } else {
            out += c;
        }
    }
    return out;
}

// RFC 5321 4.1.3: an IPv6 address literal carries the "IPv6:" tag.
std::string address_literal(std::string_view ip) {
    if (ip.find(':') != std::string_view::npos) return "[IPv6:" + std::string(ip) + "]";
    return "[" + std::string(ip) + "]";
}

std::string protocol_name(std::string_view protocol) {
    std::string out(protocol);
    if (out == "local") return out;
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// Joins the clauses with spaces, breaking before a clause that would pass the fold width.
std::string fold(const std::vector<std::string>& clauses) {
    std::string out;
    std::size_t line_length = 0;
    for (const auto& clause : clauses) {
        if (out.empty()) {
            out = clause;
            line_length = clause.size();
        } else if (line_length + 1 + clause.size() > kFoldWidth) {
            out += "\r\n\t" + clause;
            line_length = 1 + clause.size();
        } else {
            out += " " + clause;
            line_length += 1 + clause.size();
        }
    }
    return out + "\r\n";
}

}  // namespace

std::string ReceivedHeader::field() const {
    std::vector<std::string> clauses{"Received:"};
    const bool show_client = !mask_client && !(helo.empty() && client_ip.empty());
    if (show_client) {
        clauses.push_back("from " + (helo.empty() ? std::string("unknown") : header_safe(helo)));
        std::string tcp_info = "(";
        if (!client_reverse_name.empty()) tcp_info += header_safe(client_reverse_name) + " ";
        tcp_info += address_literal(header_safe(client_ip)) + ")";
        clauses.push_back(tcp_info);
    }
    clauses.push_back("by " + header_safe(hostname));
    clauses.push_back("(Herald)");
    if (!protocol.empty()) clauses.push_back("with " + protocol_name(header_safe(protocol)));
    clauses.push_back("id " + header_safe(queue_id));
    if (!recipient.empty())
        clauses.push_back("for <" + header_safe(recipient) + ">;");
    else
        clauses.back() += ";";
    // The date is the last clause and must stay whole after the ';' (RFC 5322 3.6.7).
    clauses.push_back(rfc5322_date(time));
    return fold(clauses);
}

}  // namespace herald::message
