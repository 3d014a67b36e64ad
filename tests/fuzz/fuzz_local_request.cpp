// The sendmail socket (net/sendmail_socket.cpp): any local user may write anything to it.
// A request line is refused or parsed; a parsed request survives its own encoding whole; the
// reply line a server sends is one line that the client parses back to the same code.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "accept/local_submission.hpp"
#include "fuzz_check.hpp"

using herald::accept::LocalRequest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    if (auto request = herald::accept::parse_local_request(line)) {
        const std::string encoded = herald::accept::encode_local_request(*request);
        FUZZ_CHECK(encoded.find('\n') == encoded.size() - 1);
        auto again = herald::accept::parse_local_request(encoded);
        FUZZ_CHECK(again);
        FUZZ_CHECK(again->sender == request->sender && again->recipients == request->recipients &&
                   again->full_name == request->full_name &&
                   again->sender_given == request->sender_given);
    }
    // The input as a reply's text: whatever the text, the reply stays one line and keeps its code.
    const std::string reply =
        herald::accept::encode_local_reply(herald::smtp::Reply(451, "4.3.0", std::string(line)));
    FUZZ_CHECK(reply.find('\n') == reply.size() - 1);
    auto parsed = herald::accept::parse_local_reply(reply);
    FUZZ_CHECK(parsed && parsed->code == 451 && parsed->enhanced == "4.3.0");
    (void)herald::accept::parse_local_reply(line);
    return 0;
}
