#pragma once
// The one form of an address that every policy compares and the envelope keeps (RFC 5321
// 4.1.2 makes "bad"@example.com, "b\ad"@example.com and bad@example.com one mailbox):
//   - the local part unquoted wherever it is a plain dot-string, and otherwise quoted with
//     only '"' and '\' escaped; its case is kept (4.1.2: only the destination host may fold it);
//   - the domain lower-cased, and an internationalized domain as its A-labels (IDNA2008,
//     RFC 5891), so that a U-label and its A-label spelling are one domain;
//   - the null sender stays "", and <Postmaster> without a domain is "postmaster" (4.5.1).
// A reject list, a rate limit or a local recipient check that saw another spelling of the
// same mailbox could be slipped past by quoting.
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/address.hpp"

namespace herald::smtp {

Result<std::string> canonical_address(const Address& address);

// A bare "local@domain" as written in a config file or on a command line, in canonical form;
// the error says what is wrong with it.
Result<std::string> canonical_mailbox(std::string_view mailbox);

// The domain alone: lower-case ASCII, A-labels for an internationalized name.
Result<std::string> canonical_domain(std::string_view domain);

}  // namespace herald::smtp
