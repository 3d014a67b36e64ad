// The config loader: TOML syntax, then every section's validation. A config is either loaded
// or refused with at least one "file:line: what" error; never both, never neither.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto loaded = herald::config::load_string(text, "fuzz.toml");
    FUZZ_CHECK(loaded.config.has_value() == loaded.errors.empty());
    for (const auto& error : loaded.errors) FUZZ_CHECK(error.starts_with("fuzz.toml"));
    return 0;
}
