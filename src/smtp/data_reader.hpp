#pragma once
// The DATA phase (RFC 5321 4.1.1.4, 4.5.2): reads the message text up to the end mark,
// removes dot-stuffing and keeps the defences against SMTP smuggling and oversized input.
//
// Only CRLF "." CRLF ends the message. A bare CR or bare LF never does, wherever it stands:
// a receiver that ends on "\n.\n" while the next hop does not lets a sender smuggle a second
// message past every check (the 2023 "SMTP smuggling" attacks). The text is never aborted in
// the middle; whatever is wrong is reported once the real end arrives.
//
// BDAT (RFC 3030) sends the text in counted chunks instead: no stuffing, no end mark; the
// caller says when the last chunk is in (finish()). The line checks are the same, so that
// nothing reaches a next hop over DATA that could end its message early.
//
// The text is handed on in pieces (take_text() after each feed()), so that the caller can
// write it out as it comes: what the reader holds is bounded by what one feed() gave it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::smtp {

struct DataLimits {
    std::size_t max_message_size = 36700160;   // octets of unstuffed text kept
    bool normalize_bare_line_endings = false;  // make them CRLF instead of refusing
};

class DataReader {
  public:
    enum class Framing { dot_terminated, chunked };

    explicit DataReader(DataLimits limits, Framing framing = Framing::dot_terminated);

    // Consumes bytes up to and including the end mark; returns how many it used. Bytes after
    // the end mark belong to the next command and are left to the caller.
    std::size_t feed(std::string_view bytes);

    // Chunked: the last chunk is in. A last line without its CRLF gets one.
    void finish();

    bool done() const { return done_; }
    bool oversized() const { return oversized_; }
    bool line_too_long() const { return line_too_long_; }
    bool bare_line_ending() const { return bare_line_ending_; }

    // The text that came since the last call: CRLF lines, dot-unstuffed, without the end
    // mark. Once oversized, nothing more comes (and what was not yet taken is dropped).
    std::string take_text();
    // Octets of text so far, taken or not; never more than max_message_size.
    std::uint64_t size() const { return size_; }

  private:
    void on_byte(char c);
    void on_crlf();
    void on_bare_line_ending();
    void append(std::string_view bytes);

    DataLimits limits_;
    Framing framing_;
    std::string text_;
    std::uint64_t size_ = 0;
    std::size_t line_length_ = 0;        // octets of the current line as sent, without its ending
    bool line_start_after_crlf_ = true;  // DATA's own CRLF starts the first line
    bool held_dot_ = false;              // a leading '.' not yet known to be stuffing or the end
    bool pending_cr_ = false;
    bool done_ = false;
    bool oversized_ = false;
    bool line_too_long_ = false;
    bool bare_line_ending_ = false;
};

}  // namespace herald::smtp
