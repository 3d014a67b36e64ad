#pragma once
// How each section of the file becomes its part of Config. A reader validates what its own
// table shows; checks across sections (routes -> transports) get what they need passed in.
#include <vector>

#include "config/config.hpp"
#include "config/table_reader.hpp"
#include "config/unique_names.hpp"

namespace herald::config {

void read_server(TableReader& t, Server& out);
void read_limits(TableReader& t, Limits& out);
void read_smtp(TableReader& t, Smtp& out);
void read_dns(TableReader& t, Dns& out);
void read_listener(TableReader& t, std::vector<Listener>& out, UniqueNames& addresses);
void read_tls(TableReader& t, Tls& out);
void read_relay(TableReader& t, Relay& out);
void read_user(TableReader& t, std::vector<User>& out, UniqueNames& names);
void read_local(TableReader& t, Local& out);
// pools: the names read_ip_pool claimed.
void read_transport(TableReader& t, std::vector<Transport>& out, UniqueNames& names,
                    const UniqueNames& pools);
// One [[provider]]: a new one, or keys that override a provider of that name already in
// `out` (a built-in one). `names`: those this file has already claimed.
void read_provider(TableReader& t, std::vector<Provider>& out, UniqueNames& names);
// One [[shaping_rule]]; its provider must be among `providers`. A rule with the name of one
// already in `out` (a built-in one) replaces it.
void read_shaping_rule(TableReader& t, const std::vector<Provider>& providers,
                       std::vector<ShapingRule>& out, UniqueNames& names);
void read_shaping(TableReader& t, Shaping& out);
// One [[ip_pool]]; an address belongs to one pool only (`addresses`: those claimed so far).
void read_ip_pool(TableReader& t, std::vector<IpPool>& out, UniqueNames& names,
                  UniqueNames& addresses);
// transports: the names read_transport claimed.
void read_route(TableReader& t, const UniqueNames& transports, std::vector<Route>& out);
void read_dkim_key(TableReader& t, std::vector<DkimKey>& out, UniqueNames& selectors);
void read_dkim_signing(TableReader& t, DkimSigning& out);
void read_rate_limit(TableReader& t, std::vector<RateLimit>& out);
// Its own rate_limit, if any, becomes a [[rate_limit]] counting that key alone.
void read_api_key(TableReader& t, std::vector<ApiKey>& out, std::vector<RateLimit>& limits,
                  UniqueNames& names);
void read_reject(TableReader& t, Reject& out);
void read_queue(TableReader& t, Queue& out);
void read_admin(TableReader& t, Admin& out);
void read_preflight(TableReader& t, Preflight& out);
void read_event_sink(TableReader& t, std::vector<EventSink>& out, UniqueNames& names);
void read_bounces(TableReader& t, Bounces& out);
void read_tlsrpt(TableReader& t, TlsRpt& out);
void read_suppression(TableReader& t, Suppression& out);
void read_unsubscribe(TableReader& t, Unsubscribe& out);
void read_compliance(TableReader& t, Compliance& out);
void read_cluster(TableReader& t, Cluster& out);

}  // namespace herald::config
