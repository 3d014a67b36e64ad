#pragma once
// The DKIM conformance vectors under tests/conformance/dkim/, read as the tests need them.
#include <fstream>
#include <sstream>
#include <string>

#include "mailauth/dkim/verifier.hpp"

namespace herald::mailauth::dkim::testing {

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

inline std::string conformance_file(const std::string& name) {
    return read_file(std::string(HERALD_SOURCE_DIR) + "/tests/conformance/dkim/" + name);
}

// Text files hold lines ending in LF; messages travel with CRLF.
inline std::string crlf(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

// RFC 8463 Appendix A.3, with CRLF line endings.
inline std::string rfc8463_message() {
    return crlf(conformance_file("rfc8463/message.eml"));
}

// The same message without its two DKIM-Signature fields (RFC 6376 Appendix A.1).
inline std::string rfc8463_unsigned_message() {
    const std::string signed_message = rfc8463_message();
    return signed_message.substr(signed_message.find("From:"));
}

// RFC 8463 Appendix A.2, as the resolver hands them over (character-strings joined).
inline KeyAnswers rfc8463_keys() {
    KeyAnswers keys;
    keys["brisbane._domainkey.football.example.com"] = {
        dns::Status::ok, {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}};
    keys["test._domainkey.football.example.com"] = {
        dns::Status::ok,
        {"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
         "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
         "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
         "Ip3G+2kryOTIKT+l/K4w3QIDAQAB"}};
    return keys;
}

inline constexpr std::int64_t kRfc8463Time = 1528637909;

}  // namespace herald::mailauth::dkim::testing
