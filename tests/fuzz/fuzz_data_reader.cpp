// The DATA phase: the end mark, dot-unstuffing, the smuggling defences and the size limit,
// over input cut into arbitrary pieces; and BDAT's chunks, where the text must come out as
// it went in. Where the input is cut must not change the result.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/data_reader.hpp"

using herald::smtp::DataLimits;
using herald::smtp::DataReader;

namespace {

struct Outcome {
    std::size_t used = 0;
    bool done = false;
    bool oversized = false;
    bool bare_line_ending = false;
    std::string text;
};

Outcome read(std::string_view input, std::size_t piece, const DataLimits& limits,
             DataReader::Framing framing) {
    DataReader reader(limits, framing);
    Outcome outcome;
    while (outcome.used < input.size() && !reader.done()) {
        const std::size_t used = reader.feed(input.substr(outcome.used, piece));
        FUZZ_CHECK(used <= piece);
        outcome.used += used;
    }
    if (framing == DataReader::Framing::chunked) reader.finish();
    outcome.done = reader.done();
    outcome.oversized = reader.oversized();
    outcome.bare_line_ending = reader.bare_line_ending();
    if (outcome.done) outcome.text = reader.take_text();
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    DataLimits limits{.max_message_size = 2048, .normalize_bare_line_endings = (data[0] & 1) != 0};
    const auto framing =
        (data[0] & 2) != 0 ? DataReader::Framing::chunked : DataReader::Framing::dot_terminated;
    const std::size_t piece = 1 + data[0] / 4 % 13;
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const Outcome whole = read(input, input.size() + 1, limits, framing);
    const Outcome pieces = read(input, piece, limits, framing);
    FUZZ_CHECK(whole.used == pieces.used);
    FUZZ_CHECK(whole.done == pieces.done);
    FUZZ_CHECK(whole.oversized == pieces.oversized);
    FUZZ_CHECK(whole.bare_line_ending == pieces.bare_line_ending);
    FUZZ_CHECK(whole.text == pieces.text);
    if (framing == DataReader::Framing::chunked) {
        // Every octet is text: nothing ends a chunk early, nothing is unstuffed.
        FUZZ_CHECK(whole.done && whole.used == input.size());
        if (!whole.oversized && !whole.bare_line_ending) {
            const bool ended = input.empty() || input.ends_with("\r\n");
            FUZZ_CHECK(whole.text == std::string(input) + (ended ? "" : "\r\n"));
        }
        return 0;
    }
    if (whole.done) {
        // Only CRLF "." CRLF ends the message (or a "." CRLF at its very start).
        const std::string_view used = input.substr(0, whole.used);
        FUZZ_CHECK(used.ends_with("\r\n.\r\n") || used == ".\r\n");
        if (!whole.oversized) FUZZ_CHECK(whole.text.size() <= limits.max_message_size);
    }
    return 0;
}
