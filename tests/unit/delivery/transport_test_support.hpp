#pragma once
// What the transport tests share: a private temporary directory and a way to run a
// transport's coroutine to completion on an io_context, as the queue does.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "delivery/transport.hpp"

namespace herald::delivery::testing {

class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "herald-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

inline std::vector<RecipientResult> run_delivery(Transport& transport, const Delivery& delivery) {
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, transport.deliver(delivery), boost::asio::use_future);
    io.run();
    return future.get();
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline message::Envelope envelope_from(std::string sender, std::vector<std::string> recipients) {
    message::Envelope envelope;
    envelope.sender = std::move(sender);
    envelope.recipients = std::move(recipients);
    return envelope;
}

}  // namespace herald::delivery::testing
