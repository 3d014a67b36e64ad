// 7-bit MIME conversion (RFC 6152 3): whatever the structure, a conversion that succeeds
// leaves no 8-bit octet, 7-bit input comes back byte for byte, and 8-bit octets in the
// message's own header section are never converted away.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/utf8.hpp"
#include "fuzz_check.hpp"
#include "message/seven_bit_conversion.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const bool eight_bit = herald::has_non_ascii(text);
    const bool eight_bit_header = herald::message::has_eight_bit_header(text);
    FUZZ_CHECK(eight_bit || !eight_bit_header);
    auto converted = herald::message::convert_to_seven_bit(text);
    if (!eight_bit) FUZZ_CHECK(converted.ok() && *converted == text);
    // Only the top header section: an enclosed message/global may be base64'd whole.
    const std::string_view top =
        text.starts_with("\r\n") ? std::string_view() : text.substr(0, text.find("\r\n\r\n"));
    if (herald::has_non_ascii(top)) FUZZ_CHECK(!converted.ok());
    if (converted.ok()) FUZZ_CHECK(!herald::has_non_ascii(*converted));
    return 0;
}
