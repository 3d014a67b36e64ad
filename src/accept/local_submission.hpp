#pragma once
// A local user's message (`herald sendmail`): how it travels to the running server through
// <spool_dir>/sendmail.sock, and what acceptance does with it there.
//
// The socket's protocol, one exchange a connection:
//   client: {"sender":..,"sender_given":..,"recipients":[..],"full_name":..} and a newline,
//           then the message (CRLF lines), then it shuts its side down; DSN requests add
//           "notify" ("NEVER", "SUCCESS,FAILURE", ...), "ret" ("FULL", "HDRS") and "envid"
//   server: one line, an SMTP reply: "250 2.0.0 queued as ID", "550 5.7.1 recipient <x>: ..."
// Who the user is, the server learns from the kernel (SO_PEERCRED), never from the request.
#include <sys/types.h>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "accept/acceptance.hpp"
#include "base/result.hpp"
#include "message/dsn_request.hpp"
#include "smtp/reply.hpp"
#include "state/shared_rate_limits.hpp"

namespace herald::accept {

struct LocalRequest {
    std::string sender;         // -f; unused unless sender_given
    bool sender_given = false;  // else the user's own address at our hostname
    std::vector<std::string> recipients;
    std::string full_name;    // -F
    message::MessageDsn dsn;  // -N, -R, -V
};

// The login name of `uid` (the local user of a sendmail call), else "uid<N>" for a uid
// without a name: never the name of somebody else.
std::string local_user_name(uid_t uid);

// The header line, newline included.
std::string encode_local_request(const LocalRequest& request);
Result<LocalRequest> parse_local_request(std::string_view line);

// The reply line, newline included; parse_local_reply takes it with or without.
std::string encode_local_reply(const smtp::Reply& reply);
Result<smtp::Reply> parse_local_reply(std::string_view line);

// Steps 1 to 7 for `data` (the whole message, CRLF lines) from local user `user`: the envelope
// through the gate as SMTP would put it, as a local user; then a submission with From: added
// when missing (-F names it). The reply says what was refused, or the queue id.
boost::asio::awaitable<smtp::Reply> accept_local(Acceptance& acceptance, queue::Intake& intake,
                                                 BlockingPool& pool, policy::Policies& policies,
                                                 state::SharedRateLimits* shared_limits,
                                                 const std::string& hostname,
                                                 const LocalRequest& request,
                                                 const std::string& user, std::string data);

}  // namespace herald::accept
