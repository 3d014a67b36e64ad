// SPF record parsing (RFC 7208 4.6, 12): mechanisms, modifiers, CIDR lengths, macros.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "mailauth/spf/macro.hpp"
#include "mailauth/spf/record.hpp"

using namespace herald::mailauth::spf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto record = Record::parse(text);
    if (!record) {
        FUZZ_CHECK(!record.error().empty());
        return 0;
    }
    FUZZ_CHECK(is_spf_record(text));
    for (const auto& mechanism : record->mechanisms) {
        FUZZ_CHECK(mechanism.cidr4 <= 32 && mechanism.cidr6 <= 128);
        if (mechanism.kind == MechanismKind::ip4 || mechanism.kind == MechanismKind::ip6) {
            FUZZ_CHECK(mechanism.network.has_value());
        }
    }
    return 0;
}
