#pragma once
// `herald sendmail`'s side of <spool_dir>/sendmail.sock (net/sendmail_socket.hpp): hands the
// message to the running server and waits for its verdict. Blocking, with a deadline on every
// read and write.
#include <chrono>
#include <filesystem>
#include <string>

#include "accept/local_submission.hpp"
#include "smtp/reply.hpp"

namespace herald::cli {

struct Handover {
    enum class Outcome {
        answered,     // `reply` is the server's verdict
        not_running,  // nobody listens at the socket: the message was not sent
        interrupted,  // connected, but no verdict came (`error`): it may or may not be queued
    };
    Outcome outcome = Outcome::not_running;
    smtp::Reply reply;
    std::string error;
};

Handover hand_to_server(const std::filesystem::path& socket_path,
                        const accept::LocalRequest& request, const std::string& data,
                        std::chrono::seconds timeout);

}  // namespace herald::cli
