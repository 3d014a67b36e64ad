#include "smtp/data_reader.hpp"

#include <algorithm>
#include <utility>

namespace herald::smtp {

namespace {
// RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including the CRLF.
constexpr std::size_t kMaxTextLine = 998;
}  // namespace

DataReader::DataReader(DataLimits limits, Framing framing) : limits_(limits), framing_(framing) {}

std::size_t DataReader::feed(std::string_view bytes) {
    // The text taken after each feed is about as long as what the feed brought: one
    // allocation of that size, rather than doublings up to twice it, for each of a thousand
    // connections' pieces in flight.
    if (text_.empty() && !oversized_) text_.reserve(std::min(bytes.size(), std::size_t{1} << 20));
    std::size_t used = 0;
    while (used < bytes.size() && !done_) {
        // Inside a line nothing but CR and LF matters: copy up to the next one at once.
        if (line_length_ > 0 && !held_dot_ && !pending_cr_) {
            std::size_t stop = bytes.find_first_of("\r\n", used);
            if (stop == std::string_view::npos) stop = bytes.size();
            if (stop > used) {
                const std::string_view run = bytes.substr(used, stop - used);
                line_length_ += run.size();
                if (line_length_ > kMaxTextLine) line_too_long_ = true;
                append(run);
                used = stop;
                continue;
            }
        }
        on_byte(bytes[used++]);
    }
    return used;
}

void DataReader::finish() {
    if (pending_cr_) {
        pending_cr_ = false;
        on_bare_line_ending();
    } else if (line_length_ > 0) {
        append("\r\n");
    }
    done_ = true;
}

std::string DataReader::take_text() {
    return std::exchange(text_, std::string());
}

void DataReader::on_byte(char c) {
    if (pending_cr_) {
        pending_cr_ = false;
        if (c == '\n') {
            on_crlf();
            return;
        }
        on_bare_line_ending();
    }
    if (c == '\r') {
        pending_cr_ = true;
        return;
    }
    if (c == '\n') {
        on_bare_line_ending();
        return;
    }
    if (++line_length_ > kMaxTextLine) line_too_long_ = true;
    if (line_length_ == 1 && c == '.' && line_start_after_crlf_ &&
        framing_ == Framing::dot_terminated) {
        held_dot_ = true;
        return;
    }
    // RFC 5321 4.5.2: a leading period followed by more text is stuffing; drop it.
    held_dot_ = false;
    append(std::string_view(&c, 1));
}

void DataReader::on_crlf() {
    if (held_dot_ && line_length_ == 1) {
        done_ = true;
        return;
    }
    append("\r\n");
    line_length_ = 0;
    line_start_after_crlf_ = true;
    held_dot_ = false;
}

// Both modes read on to the real end; a line begun by a bare ending can neither be
// unstuffed nor end the message, since only CRLF delimits lines (RFC 5321 2.3.8).
void DataReader::on_bare_line_ending() {
    bare_line_ending_ = true;
    if (held_dot_) append(".");
    held_dot_ = false;
    append("\r\n");
    line_length_ = 0;
    line_start_after_crlf_ = false;
}

void DataReader::append(std::string_view bytes) {
    if (oversized_) return;
    if (size_ + bytes.size() > limits_.max_message_size) {
        // Keep reading to the end so the reply lands after it, but pass nothing more on:
        // neither memory nor the spool grows past the limit, whatever the client sends.
        oversized_ = true;
        std::string().swap(text_);
        return;
    }
    text_ += bytes;
    size_ += bytes.size();
}

}  // namespace herald::smtp
