// The arguments of MAIL and RCPT, as the command parser reads them: paths, quoted local
// parts, address literals, ESMTP parameters, UTF-8 under SMTPUTF8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/command_parser.hpp"

using namespace herald::smtp;

namespace {

void check_refusal(const Reply& reply) {
    FUZZ_CHECK(reply.code >= 500 && reply.code < 600);
    FUZZ_CHECK(!reply.lines.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const Command command = parse_command(line);
    FUZZ_CHECK(command.argument.size() <= line.size());
    const auto mail = parse_mail_arguments(command.argument);
    if (const auto* refused = std::get_if<Reply>(&mail)) check_refusal(*refused);
    for (auto syntax : {AddressSyntax::ascii, AddressSyntax::utf8}) {
        const auto rcpt = parse_rcpt_arguments(command.argument, syntax);
        if (const auto* refused = std::get_if<Reply>(&rcpt)) check_refusal(*refused);
    }
    // A chunk size is digits only; "LAST" is the one word that may follow.
    if (const auto chunk = parse_bdat_arguments(command.argument)) {
        FUZZ_CHECK(!command.argument.empty() && command.argument[0] >= '0' &&
                   command.argument[0] <= '9');
        FUZZ_CHECK(chunk->last == (command.argument.find(' ') != std::string_view::npos));
    }
    return 0;
}
