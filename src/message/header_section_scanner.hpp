#pragma once
// The header section of a text that arrives in pieces (DATA), measured without being kept:
// where it ends and how many Received fields it holds (RFC 5321 6.3, loop detection). Only
// the start of the current line is held, so a connection's memory does not grow with what a
// client sends. It draws the same boundary as HeaderBlock::parse on the whole text, for
// every line of up to kKeptLine octets (longer lines are refused by the DATA reader anyway:
// RFC 5321 4.5.3.1.6).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::message {

class HeaderSectionScanner {
  public:
    static constexpr std::size_t kKeptLine = 1000;

    // The text in any number of pieces; a line may straddle two of them.
    void update(std::string_view text);
    // The end of the text: a last line without its line break still counts.
    void finish();

    // The line that ends the section has been seen (or finish() was called).
    bool ended() const { return ended_; }
    // Octets of header section so far: header_section_end(text) once ended().
    std::uint64_t size() const { return size_; }
    std::size_t received_fields() const { return received_; }

  private:
    void end_of_line();

    std::string line_;               // the current line's first kKeptLine octets
    std::uint64_t line_length_ = 0;  // all of its octets so far
    std::uint64_t size_ = 0;
    std::size_t received_ = 0;
    bool seen_field_ = false;
    bool ended_ = false;
};

}  // namespace herald::message
