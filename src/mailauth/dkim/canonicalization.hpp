#pragma once
// DKIM canonicalization (RFC 6376 3.4): "simple" and "relaxed", for header fields and for
// the body. The body canonicalizer is single-pass and streaming: bytes go in as they come,
// canonical bytes go out to a sink, and nothing but a partial line and a count of pending
// empty lines is held back.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace herald::mailauth::dkim {

enum class Canonicalization { simple, relaxed };

std::string_view to_string(Canonicalization c);
std::optional<Canonicalization> parse_canonicalization(std::string_view text);

// One header field as it appears in the message ("Name: value", folding and final CRLF
// included or not), canonicalized and appended to `out` with a final CRLF (RFC 6376 3.4.1,
// 3.4.2).
void canonicalize_header(Canonicalization c, std::string_view raw_field, std::string& out);

class BodyCanonicalizer {
  public:
    using Sink = std::function<void(std::string_view)>;
    BodyCanonicalizer(Canonicalization c, Sink sink);

    // The body in any number of pieces, CRLF line endings (a CRLF may straddle two pieces).
    void update(std::string_view bytes);
    // Ends the body: a last line without CRLF gets one; trailing empty lines are dropped
    // (RFC 6376 3.4.3, 3.4.4).
    void finish();

  private:
    void take_line(std::string_view line);  // without its CRLF
    void emit_pending_empty_lines();

    Canonicalization c_;
    Sink sink_;
    std::string partial_;  // a line whose CRLF has not arrived yet
    std::string scratch_;  // the relaxed form of the current line
    std::size_t pending_empty_lines_ = 0;
    bool emitted_anything_ = false;
};

// The whole body at once, canonicalized (for tests and small inputs).
std::string canonicalize_body(Canonicalization c, std::string_view body);

}  // namespace herald::mailauth::dkim
