#include "cli/command_resolver.hpp"

#include "dns/fixture_resolver.hpp"
#include "dns/unbound_resolver.hpp"

namespace herald::cli {

Result<std::unique_ptr<dns::Resolver>> command_resolver(boost::asio::io_context& io,
                                                        const GlobalOptions& global) {
    if (!global.dns_fixture.empty()) {
        auto fixture = dns::FixtureResolver::load(global.dns_fixture);
        if (!fixture) return Error{fixture.error()};
        return std::unique_ptr<dns::Resolver>(
            std::make_unique<dns::FixtureResolver>(std::move(*fixture)));
    }
    dns::UnboundOptions options;
    if (!global.dns.empty()) options.servers = {global.dns};
    auto unbound = dns::UnboundResolver::create(io.get_executor(), options);
    if (!unbound) return Error{unbound.error()};  // it says "dns: " itself
    return std::unique_ptr<dns::Resolver>(std::move(*unbound));
}

}  // namespace herald::cli
