#include "cli/control_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

namespace herald::cli {

namespace asio = boost::asio;

std::optional<std::string> send_control_request(const std::filesystem::path& socket_path,
                                                const std::string& request) {
    asio::io_context io;
    asio::local::stream_protocol::socket socket(io);
    boost::system::error_code ec;
    socket.connect(socket_path.string(), ec);
    if (ec) return std::nullopt;
    asio::write(socket, asio::buffer(request + "\n"), ec);
    if (ec) return std::nullopt;
    std::string reply;
    asio::read_until(socket, asio::dynamic_buffer(reply), '\n', ec);
    if (reply.empty()) return std::nullopt;
    if (reply.back() == '\n') reply.pop_back();
    return reply;
}

}  // namespace herald::cli
