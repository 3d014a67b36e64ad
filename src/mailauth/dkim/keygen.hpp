#pragma once
// `herald dkim keygen`: a new key written where only its owner can read it, and the TXT
// record to publish for it.
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mailauth/dkim/private_key.hpp"

namespace herald::mailauth::dkim {

// Creates `file` with mode 0600 from the start (O_CREAT|O_EXCL: never wider, never over an
// existing file) and writes the key as PKCS#8 PEM.
Status write_private_key(const PrivateKey& key, const std::filesystem::path& file);

// The zone-file line publishing `record_text`, split into character-strings of at most 255
// octets (RFC 1035 3.3), e.g. s1._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=..." "..." )
std::string zone_file_record(std::string_view selector, std::string_view domain,
                             std::string_view record_text);

}  // namespace herald::mailauth::dkim
