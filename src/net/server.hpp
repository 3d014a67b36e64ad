#pragma once
// `herald serve`: everything assembled around one event loop — listeners, spool, scheduler,
// control socket, signals.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "net/run_as.hpp"

namespace herald::net {

class Server {
  public:
    // Opens logs and spool, recovers the queue, binds every listener. Errors are fatal and
    // say which part failed.
    // `config_path` is read again on reload (SIGHUP, `herald reload`). With `run_as`, started
    // as root, it becomes that user once the listeners are bound (run_as.hpp).
    static Result<std::unique_ptr<Server>> create(config::Config config,
                                                  std::filesystem::path config_path,
                                                  std::optional<RunAs> run_as);
    ~Server();

    // Human-readable lines: where it listens, and warnings (self-signed certificate, ...).
    const std::vector<std::string>& startup_report() const;
    // Serves until SIGTERM or SIGINT; returns the exit code.
    int run();

  private:
    struct Parts;
    explicit Server(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> parts_;
};

}  // namespace herald::net
