#pragma once
// What a reload would take away. A config file emptied by mistake (a truncated copy, an
// editor crash) still loads: every section has a default. Applied, it would silently drop
// every AUTH account, every reject entry and every rate limit, and put relay rights back
// to loopback. So a reload that strips the running server like that is refused unless the
// operator forces it (`herald reload --force`); docs/operations.md states the rule.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace herald::config {

// One sentence per reason to refuse; empty when the reload may go ahead. `running` is the
// config whose policies are in force (the last one applied), `next` the one read now.
// Refused when `next`:
//   - has no [[listener]];
//   - has no [[user]] while `running` has one or more;
//   - has no [reject] senders or users entry while `running` has one or more;
//   - has no [[rate_limit]] while `running` has one or more;
//   - keeps none of the running [relay] networks (compared as written), while `running`
//     has one or more.
std::vector<std::string> what_reload_would_strip(const Config& running, const Config& next);

// What no reload may change: the spool directory holds the queue, the state files and the
// control socket the reload came through. The sentence that refuses it; "" when unchanged.
std::string unmovable_change(const Config& running, const Config& next);

// The sections a running server built into parts that live as long as the process: the
// resolver ([dns]), the admin server ([admin]), the logs and privileges ([server]), the event
// sinks and lists ([[event_sink]], [bounces], [suppression], [unsubscribe]), the traffic shaper
// ([shaping], [[provider]], [[ip_pool]]), the AUTH throttle ([limits] auth_*), and the message size
// and DATA timeout the sendmail socket and the HTTP servers were opened with. `next` takes their
// running values, so that the config in force says what is in force; the names of those it changed
// are returned, for the reload's answer and the mainlog.
std::vector<std::string> keep_until_restart(const Config& running, Config& next);

// check-config and serve: a config that can take no mail is a mistake (an empty file).
// "file:0: ..." for a config without [[listener]], else "".
std::string missing_listener_error(const Config& config);

}  // namespace herald::config
