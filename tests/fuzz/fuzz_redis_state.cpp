// What the cluster's Redis sends (a server that is not Redis, or a broken one, answers
// anything) and what other nodes wrote in it (hash values and channel messages, JSON that any
// client of that Redis could have written) are read by Herald unchecked by anyone. The reply
// reader gives whole replies or an error, whatever the bytes and however they are split; a
// message or a value is read into a change, or ignored.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "state/redis_protocol.hpp"
#include "state/shared_shaping.hpp"
#include "state/shared_suppressions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    herald::state::RedisReplyReader reader;
    // Split in two at a point the input chooses, as reads split a stream.
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    bool broken = false;
    for (std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
        if (broken || !reader.feed(piece)) {
            broken = true;
            break;
        }
        while (true) {
            auto reply = reader.next();
            if (!reply) {
                broken = true;
                break;
            }
            if (!*reply) break;
            (void)herald::state::describe(**reply);
        }
    }
    FUZZ_CHECK(broken || reader.buffered() <= size);

    (void)herald::state::read_message(input, "this-node");
    const auto space = input.find('\n');
    if (space != std::string_view::npos) {
        (void)herald::state::read_change(input.substr(0, space), input.substr(space + 1));
    }
    if (auto reaction = herald::state::read_reaction(input)) {
        const std::string again =
            herald::state::reaction_json(reaction->reaction, reaction->node, reaction->at);
        FUZZ_CHECK(herald::state::read_reaction(again).has_value());
    }
    return 0;
}
