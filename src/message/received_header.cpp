#include "message/received_header.hpp"

#include <cctype>
#include <initializer_list>
#include <string_view>

#include "base/timestamp.hpp"

namespace herald::message {

namespace {

// RFC 5322 2.1.1: lines SHOULD stay within 78 characters.
constexpr std::size_t kFoldWidth = 78;

// How a piece of a clause is written. What the client chose (HELO, reverse name) must not
// break the header: no line breaks, no control characters, no parentheses that would end our
// comment early. Each is one character for one, so a clause's width is known beforehand.
enum class As { is, safe, safe_upper };

struct Piece {
    std::string_view text;
    As as = As::is;
};

char header_safe(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 33 || u == 127 || c == '(' || c == ')' || c == '\\') ? '?' : c;
}

// The field, its clauses joined with spaces, a line broken before a clause that would pass
// the fold width: written into one string as it goes.
class FoldedField {
  public:
    explicit FoldedField(std::string_view name) : out_(name), line_length_(name.size()) {
        out_.reserve(256);
    }

    void add(std::initializer_list<Piece> clause) {
        std::size_t size = 0;
        for (const Piece& piece : clause) size += piece.text.size();
        if (line_length_ + 1 + size > kFoldWidth) {
            out_ += "\r\n\t";
            line_length_ = 1 + size;
        } else {
            out_ += ' ';
            line_length_ += 1 + size;
        }
        for (const Piece& piece : clause) write(piece);
    }

    std::string finish() && {
        out_ += "\r\n";
        return std::move(out_);
    }

  private:
    void write(const Piece& piece) {
        if (piece.as == As::is) {
            out_ += piece.text;
            return;
        }
        for (char c : piece.text) {
            c = header_safe(c);
            if (piece.as == As::safe_upper) {
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            out_ += c;
        }
    }

    std::string out_;
    std::size_t line_length_;
};

}  // namespace

std::string ReceivedHeader::field() const {
    FoldedField out("Received:");
    const bool show_client = !mask_client && !(helo.empty() && client_ip.empty());
    if (show_client) {
        out.add({{"from "}, helo.empty() ? Piece{"unknown"} : Piece{helo, As::safe}});
        // RFC 5321 4.1.3: an IPv6 address literal carries the "IPv6:" tag.
        const bool v6 = client_ip.find(':') != std::string::npos;
        const std::string_view space = client_reverse_name.empty() ? "" : " ";
        out.add({{"("},
                 {client_reverse_name, As::safe},
                 {space},
                 {v6 ? "[IPv6:" : "["},
                 {client_ip, As::safe},
                 {"])"}});
    }
    out.add({{"by "}, {hostname, As::safe}});
    out.add({{"(Herald)"}});
    // RFC 3848's names are upper case ("ESMTPSA"); "local" is ours, and stays as it is.
    if (!protocol.empty()) {
        out.add({{"with "}, {protocol, protocol == "local" ? As::safe : As::safe_upper}});
    }
    // The date is the last clause and must stay whole after the ';' (RFC 5322 3.6.7).
    if (!recipient.empty()) {
        out.add({{"id "}, {queue_id, As::safe}});
        out.add({{"for <"}, {recipient, As::safe}, {">;"}});
    } else {
        out.add({{"id "}, {queue_id, As::safe}, {";"}});
    }
    out.add({{rfc5322_date(time)}});
    return std::move(out).finish();
}

}  // namespace herald::message
