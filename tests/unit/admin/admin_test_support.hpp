#pragma once
// A temporary directory, and a spool in it with messages stored as the server would.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::admin {

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "herald-admin-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::filesystem::path operator/(const char* name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

class TestSpool {
  public:
    TestSpool() : spool_(dir_ / "spool") { (void)spool_.open(); }

    // Stores a message from `sender` to `recipients` that arrived `age` ago; returns its id.
    std::string store(std::string sender, std::vector<std::string> recipients,
                      std::chrono::seconds age = std::chrono::seconds(0)) {
        message::Envelope envelope;
        envelope.sender = std::move(sender);
        envelope.recipients = std::move(recipients);
        envelope.protocol = "esmtp";
        envelope.arrival = std::chrono::system_clock::now() - age;
        std::string id = spool::new_message_id();
        (void)spool_.store(id, envelope, "Subject: test\r\n\r\nbody\r\n");
        return id;
    }

    spool::Spool& spool() { return spool_; }

  private:
    TempDir dir_;
    spool::Spool spool_;
};

}  // namespace herald::admin
