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
    std::filesystem::path key_path;
};

// cert/key empty: use (or create) a self-signed pair in generated_dir for `hostname`.
Result<ServerTls> load_server_tls(const std::filesystem::path& cert,
                                  const std::filesystem::path& key,
                                  const std::filesystem::path& generated_dir,
                                  const std::string& hostname);

// Puts the certificate chain and key of `fresh` (loaded by load_server_tls, so checked to
// match) into the context `live` serves with: connections that start from now on get them,
// and those under way keep theirs (OpenSSL copies them into each connection). In place, so
// that every listener sharing the context changes at once.
void adopt_certificate(ServerTls& live, const ServerTls& fresh);

// The files' modification times and sizes, to see that an ACME client has renewed them.
std::string tls_files_stamp(const ServerTls& tls);

// Writes a new self-signed certificate (EC P-256, 825 days) and its key (mode 0600).
Status generate_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                            const std::string& hostname);

}  // namespace herald::net
