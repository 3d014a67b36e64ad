// Header parsing: fields, folding, the end of the header section, the recipient fields that
// `sendmail -t` takes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "message/header_block.hpp"

using herald::message::HeaderBlock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const HeaderBlock block = HeaderBlock::parse(text);
    FUZZ_CHECK(block.end() <= text.size());
    std::size_t previous_end = 0;
    for (const auto& field : block.fields()) {
        FUZZ_CHECK(field.begin >= previous_end);
        FUZZ_CHECK(field.begin <= field.end && field.end <= block.end());
        FUZZ_CHECK(!field.name.empty());
        FUZZ_CHECK(block.find(field.name) != nullptr);
        FUZZ_CHECK(herald::message::unfold(field.value).size() <= field.value.size());
        previous_end = field.end;
    }
    std::string copy(text);
    herald::message::take_recipient_headers(copy);
    FUZZ_CHECK(copy.size() <= text.size());
    FUZZ_CHECK(HeaderBlock::parse(copy).count("Bcc") == 0);
    return 0;
}
