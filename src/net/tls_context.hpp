#pragma once
// Server TLS: the configured certificate, or a self-signed one generated on first start so
// that STARTTLS and implicit TLS work out of the box (with a warning: receivers and clients
// will not trust it).
#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.hpp"

namespace herald::net {

struct ServerTls {
    std::shared_ptr<boost::asio::ssl::context> context;
    bool self_signed = false;
    std::filesystem::path cert_path;
};

// cert/key empty: use (or create) a self-signed pair in generated_dir for `hostname`.
Result<ServerTls> load_server_tls(const std::filesystem::path& cert,
                                  const std::filesystem::path& key,
                                  const std::filesystem::path& generated_dir,
                                  const std::string& hostname);

// Writes a new self-signed certificate (EC P-256, 825 days) and its key (mode 0600).
Status generate_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                            const std::string& hostname);

}  // namespace herald::net
