#include "net/tls_context.hpp"

#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/private_file.hpp"

namespace herald::net {

namespace ssl = boost::asio::ssl;

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct FileClose {
    void operator()(FILE* f) const { std::fclose(f); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using FilePtr = std::unique_ptr<FILE, FileClose>;

// Private keys are created 0600 from the start, never chmod'ed after the fact.
FilePtr open_for_write(const std::filesystem::path& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return nullptr;
    ::fchmod(fd, mode);
    return FilePtr(::fdopen(fd, "w"));
}

bool add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return false;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return true;
}

}  // namespace

Status generate_self_signed(const std::filesystem::path& cert_path,
                            const std::filesystem::path& key_path, const std::string& hostname) {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return Error{"cannot generate a TLS key"};
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(::time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (!add_extension(cert.get(), NID_subject_alt_name, "DNS:" + hostname) ||
        X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        return Error{"cannot sign the self-signed certificate"};
    }
    FilePtr key_file = open_for_write(key_path, 0600);
    if (!key_file ||
        !PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        return Error{"cannot write " + key_path.string()};
    }
    FilePtr cert_file = open_for_write(cert_path, 0644);
    if (!cert_file || !PEM_write_X509(cert_file.get(), cert.get())) {
        return Error{"cannot write " + cert_path.string()};
    }
    return ok_status();
}

Result<ServerTls> load_server_tls(const std::filesystem::path& cert,
                                  const std::filesystem::path& key,
                                  const std::filesystem::path& generated_dir,
                                  const std::string& hostname) {
    ServerTls tls;
    std::filesystem::path cert_path = cert;
    std::filesystem::path key_path = key;
    if (cert.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(generated_dir, ec);
        cert_path = generated_dir / "selfsigned.crt";
        key_path = generated_dir / "selfsigned.key";
        if (!std::filesystem::exists(cert_path) || !std::filesystem::exists(key_path)) {
            if (auto st = generate_self_signed(cert_path, key_path, hostname); !st) {
                return Error{st.error()};
            }
        }
        tls.self_signed = true;
    }
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    // RFC 8996 and RFC 9325: nothing below TLS 1.2.
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                     ssl::context::single_dh_use);
    SSL_CTX_set_cipher_list(ctx->native_handle(),
                            "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS");
    if (auto exposed = exposed_private_file(key_path)) return Error{"TLS key " + *exposed};
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(cert_path.string(), ec);
    if (ec) return Error{"cannot load TLS certificate " + cert_path.string() + ": " + ec.message()};
    ctx->use_private_key_file(key_path.string(), ssl::context::pem, ec);
    if (ec) return Error{"cannot load TLS key " + key_path.string() + ": " + ec.message()};
    tls.context = std::move(ctx);
    tls.cert_path = cert_path;
    tls.key_path = key_path;
    return tls;
}

void adopt_certificate(ServerTls& live, const ServerTls& fresh) {
    SSL_CTX* from = fresh.context->native_handle();
    SSL_CTX* to = live.context->native_handle();
    STACK_OF(X509)* chain = nullptr;
    SSL_CTX_get0_chain_certs(from, &chain);
    SSL_CTX_use_certificate(to, SSL_CTX_get0_certificate(from));
    SSL_CTX_use_PrivateKey(to, SSL_CTX_get0_privatekey(from));
    SSL_CTX_set1_chain(to, chain);
    live.self_signed = fresh.self_signed;
    live.cert_path = fresh.cert_path;
    live.key_path = fresh.key_path;
}

std::string tls_files_stamp(const ServerTls& tls) {
    std::string stamp;
    for (const auto& path : {tls.cert_path, tls.key_path}) {
        std::error_code ec;
        const auto time = std::filesystem::last_write_time(path, ec);
        const auto size = std::filesystem::file_size(path, ec);
        stamp += std::to_string(time.time_since_epoch().count()) + ":" + std::to_string(size) + ";";
    }
    return stamp;
}

}  // namespace herald::net
