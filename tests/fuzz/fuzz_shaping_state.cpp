// What a provider says and what the shaping state file holds are read by Herald unchecked by
// anyone: a remote reply (up to the SMTP line limit) and <spool>/shaping.json, which a crash
// or a hand edit may leave in any shape. A reply is matched against rules that read its code,
// enhanced code and text; a state file is restored or refused, and what was restored is saved
// again in a form that restores to the same text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "delivery/shaping/reply_rules.hpp"
#include "delivery/shaping/traffic_shaper.hpp"
#include "fuzz_check.hpp"

namespace {

using herald::config::ShapingRule;
using herald::delivery::TrafficShaper;

herald::config::Shaping settings() {
    return {
        .rules = {{.name = "rate",
                   .code = 421,
                   .enhanced_code = "4.7.28",
                   .action = ShapingRule::Action::reduce_rate},
                  {.name = "tss", .match = R"(\[TSS0?4\])", .action = ShapingRule::Action::suspend},
                  {.name = "cap",
                   .match = "connections",
                   .action = ShapingRule::Action::cap_connections}}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto codes = herald::delivery::reply_codes(input);
    FUZZ_CHECK(codes.code == 0 || (codes.code >= 0 && codes.code <= 999));
    FUZZ_CHECK(codes.enhanced.size() <= 11);

    const auto now = TrafficShaper::Clock::time_point(std::chrono::hours(24 * 20000));
    const herald::config::Provider provider{.name = "bigmail", .max_messages_per_hour = 600};
    TrafficShaper shaper(settings(), {});
    (void)shaper.react("192.0.2.1", provider, 5, input, now);
    (void)shaper.admit("192.0.2.1", provider, "id", now);

    TrafficShaper restored(settings(), {});
    if (restored.restore(input)) {
        const std::string saved = restored.save();
        TrafficShaper again(settings(), {});
        FUZZ_CHECK(again.restore(saved));
        FUZZ_CHECK(again.save() == saved);
        (void)restored.admit("192.0.2.1", provider, "id", now);
        (void)restored.status(provider, now);
    }
    return 0;
}
