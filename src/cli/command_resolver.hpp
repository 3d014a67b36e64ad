#pragma once
// The DNS a one-shot command (spf check, dmarc check, dkim verify, doctor) answers from: the
// --dns-fixture file when given, else libunbound through --dns HOST:PORT or resolv.conf.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <memory>

#include "base/result.hpp"
#include "cli/app.hpp"
#include "dns/resolver.hpp"

namespace herald::cli {

// Errors name the fixture file (file:line: what) or the resolver setup.
Result<std::unique_ptr<dns::Resolver>> command_resolver(boost::asio::io_context& io,
                                                        const GlobalOptions& global);

// Runs `task` on `io` until it completes; the command's whole event loop.
template <typename T>
T run_to_completion(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    io.run();
    return future.get();
}

}  // namespace herald::cli
