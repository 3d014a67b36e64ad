// DMARC record parsing (RFC 7489 6.3, 6.4): every tag, with a clear error for a bad one.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "mailauth/dmarc/record.hpp"

using namespace herald::mailauth::dmarc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto record = Record::parse(text);
    if (!record) {
        FUZZ_CHECK(!record.error().empty());
        return 0;
    }
    FUZZ_CHECK(is_dmarc_record(text));
    FUZZ_CHECK(record->percent <= 100);
    return 0;
}
