// DKIM canonicalization (RFC 6376 3.4): header fields and bodies, simple and relaxed. The body
// canonicalizer is streaming: cutting the body into pieces must not change its output.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mailauth/dkim/canonicalization.hpp"

using namespace herald::mailauth::dkim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t piece = 1 + data[0] % 17;
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
        std::string field;
        canonicalize_header(c, input, field);
        // A line ending: CRLF, or the field's own bare LF under "simple" (unchanged).
        FUZZ_CHECK(field.ends_with("\n"));
        const std::string whole = canonicalize_body(c, input);
        std::string streamed;
        BodyCanonicalizer body(c, [&](std::string_view bytes) { streamed.append(bytes); });
        for (std::size_t at = 0; at < input.size(); at += piece)
            body.update(input.substr(at, piece));
        body.finish();
        FUZZ_CHECK(streamed == whole);
        // Canonical bodies end with exactly one CRLF (or are "\r\n" / empty).
        FUZZ_CHECK(whole.empty() || whole.ends_with("\r\n"));
        FUZZ_CHECK(!whole.ends_with("\r\n\r\n"));
    }
    return 0;
}
