// load_file and load_string: TOML text -> validated Config, or every error found.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "config/ascii_toml.hpp"
#include "config/builtin_shaping.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/sections.hpp"
#include "config/table_reader.hpp"
#include "config/toml.hpp"

namespace herald::config {

namespace {

// A config file is a few kilobytes; anything this large is a mistake (or an attack on the
// parser), not a config. The same limit for serve, check-config and reload.
constexpr std::size_t kMaxFileSize = 1024 * 1024;
constexpr std::string_view kTooLarge = "cannot read: larger than 1 MiB, so not a config file";

template <typename Section, typename Read>
void read_table(TableReader& doc, std::string_view name, Section& out, Read read) {
    if (const toml::table* table = doc.table(name)) {
        TableReader reader(*table, std::string(name), doc.diagnostics());
        read(reader, out);
        reader.report_unknown_keys();
    }
}

// Reads every [[name]] table; returns the line of each, in file order.
template <typename Read>
std::vector<std::size_t> read_tables(TableReader& parent, std::string_view name,
                                     std::string qualified, Read read) {
    std::vector<std::size_t> lines;
    for (const toml::table* table : parent.tables(name)) {
        TableReader reader(*table, qualified, parent.diagnostics());
        read(reader);
        reader.report_unknown_keys();
        lines.push_back(reader.line());
    }
    return lines;
}

// "A sender with no route is a config error": when routes exist, exactly the last one
// matches every sender, and nothing after it would ever be used.
void check_route_coverage(const std::vector<Route>& routes, const std::vector<std::size_t>& lines,
                          Diagnostics& diagnostics) {
    if (routes.empty()) return;
    for (std::size_t i = 0; i + 1 < routes.size(); ++i) {
        if (routes[i].sender == "*") {
            diagnostics.add(lines[i + 1], "route can never match: the route at line " +
                                              std::to_string(lines[i]) +
                                              " (sender = \"*\") matches every sender first");
            return;
        }
    }
    if (routes.back().sender != "*") {
        diagnostics.add(lines.back(),
                        "routes must end with one whose sender = \"*\", so that "
                        "every sender has a transport");
    }
}

// Reads the [[provider]] and [[shaping_rule]] tables of `doc` on top of `providers`/`rules`.
void read_shaping_tables(TableReader& doc, std::vector<Provider>& providers,
                         std::vector<ShapingRule>& rules) {
    read_tables(doc, "provider", "provider", [&, seen = UniqueNames()](TableReader& t) mutable {
        read_provider(t, providers, seen);
    });
    read_tables(doc, "shaping_rule", "shaping_rule",
                [&, seen = UniqueNames()](TableReader& t) mutable {
                    read_shaping_rule(t, providers, rules, seen);
                });
}

// config/shaping.toml, compiled in. Its errors would be ours, not the user's: a unit test
// loads it, and should one slip through anyway, every config says so at line 0.
void read_builtin_shaping(Config& c, Diagnostics& diagnostics) {
    Diagnostics builtin("config/shaping.toml");
    try {
        const toml::table root =
            toml::parse(builtin_shaping_toml(), std::string_view("config/shaping.toml"));
        TableReader doc(root, "", builtin);
        read_shaping_tables(doc, c.providers, c.shaping.rules);
        doc.report_unknown_keys();
    } catch (const toml::parse_error& e) {
        builtin.add(e.source().begin.line, "syntax error: " + std::string(e.description()));
    }
    for (const auto& error : builtin.take()) diagnostics.add(0, "built-in " + error);
}

// [unsubscribe] url and a listener of mode "unsubscribe" go together: links nobody serves, or
// a listener with no links to check, are a mistake.
void check_unsubscribe_listener(const Config& c, const std::vector<std::size_t>& lines,
                                Diagnostics& diagnostics) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < c.listeners.size() && i < lines.size(); ++i) {
        if (c.listeners[i].mode == ListenerMode::unsubscribe) line = lines[i];
    }
    if (line != 0 && c.unsubscribe.url.empty()) {
        diagnostics.add(line, "listener mode = \"unsubscribe\" needs [unsubscribe] url");
    } else if (line == 0 && !c.unsubscribe.url.empty()) {
        diagnostics.add(0, "[unsubscribe] url needs a [[listener]] with mode = \"unsubscribe\"");
    }
}

// Herald takes mail for itself, unqueued, only at [bounces] domain: the mailto address of
// [unsubscribe] must be there, and be neither a VERP address nor the FBL address.
void check_unsubscribe_mailto(const Config& c, Diagnostics& diagnostics) {
    const std::string& mailto = c.unsubscribe.mailto;
    if (mailto.empty()) return;
    if (c.bounces.domain.empty() || !mailto.ends_with("@" + c.bounces.domain)) {
        diagnostics.add(0, "[unsubscribe] mailto must be an address at [bounces] domain");
    } else if (mailto.starts_with("b+") || mailto == c.bounces.fbl_address) {
        diagnostics.add(0,
                        "[unsubscribe] mailto must not be a VERP address ('b+') or the "
                        "[bounces] fbl_address");
    }
}

// Files whose default place depends on [server] spool_dir and log_dir.
void place_beside_spool_and_logs(Config& c) {
    if (c.suppression.database.empty()) {
        c.suppression.database = c.server.spool_dir / "suppression.db";
    }
    for (auto& sink : c.event_sinks) {
        if (sink.type == EventSink::Type::file && sink.path.empty()) {
            sink.path = c.server.log_dir / (sink.name == "file" ? "events" : "events." + sink.name);
        }
    }
}

Config read_config(const toml::table& root, Diagnostics& diagnostics) {
    Config c;
    read_builtin_shaping(c, diagnostics);
    TableReader doc(root, "", diagnostics);
    UniqueNames transport_names;
    read_table(doc, "server", c.server, read_server);
    read_table(doc, "limits", c.limits, read_limits);
    read_table(doc, "smtp", c.smtp, read_smtp);
    read_table(doc, "dns", c.dns, read_dns);
    read_table(doc, "tls", c.tls, read_tls);
    read_table(doc, "relay", c.relay, read_relay);
    read_table(doc, "local", c.local, read_local);
    read_table(doc, "reject", c.reject, read_reject);
    read_table(doc, "queue", c.queue, read_queue);
    read_table(doc, "admin", c.admin, read_admin);
    read_table(doc, "preflight", c.preflight, read_preflight);
    read_table(doc, "bounces", c.bounces, read_bounces);
    read_table(doc, "tlsrpt", c.tlsrpt, read_tlsrpt);
    read_table(doc, "suppression", c.suppression, read_suppression);
    read_table(doc, "unsubscribe", c.unsubscribe, read_unsubscribe);
    read_table(doc, "compliance", c.compliance, read_compliance);
    read_table(doc, "cluster", c.cluster, read_cluster);
    read_tables(doc, "event_sink", "event_sink", [&, seen = UniqueNames()](TableReader& t) mutable {
        read_event_sink(t, c.event_sinks, seen);
    });
    const auto listener_lines = read_tables(
        doc, "listener", "listener",
        [&, seen = UniqueNames()](TableReader& t) mutable { read_listener(t, c.listeners, seen); });
    read_tables(doc, "user", "user",
                [&, seen = UniqueNames()](TableReader& t) mutable { read_user(t, c.users, seen); });
    UniqueNames pool_names;
    read_tables(doc, "ip_pool", "ip_pool", [&, addresses = UniqueNames()](TableReader& t) mutable {
        read_ip_pool(t, c.ip_pools, pool_names, addresses);
    });
    read_tables(doc, "transport", "transport", [&](TableReader& t) {
        read_transport(t, c.transports, transport_names, pool_names);
    });
    auto route_lines = read_tables(
        doc, "route", "route", [&](TableReader& t) { read_route(t, transport_names, c.routes); });
    check_route_coverage(c.routes, route_lines, diagnostics);
    read_shaping_tables(doc, c.providers, c.shaping.rules);
    read_table(doc, "shaping", c.shaping, read_shaping);
    read_tables(doc, "rate_limit", "rate_limit",
                [&](TableReader& t) { read_rate_limit(t, c.rate_limits); });
    read_tables(doc, "api_key", "api_key", [&, seen = UniqueNames()](TableReader& t) mutable {
        read_api_key(t, c.api_keys, c.rate_limits, seen);
    });
    read_table(doc, "dkim", c.dkim_keys, [&c](TableReader& dkim, std::vector<DkimKey>& keys) {
        read_tables(dkim, "key", "dkim.key", [&, seen = UniqueNames()](TableReader& t) mutable {
            read_dkim_key(t, keys, seen);
        });
        read_dkim_signing(dkim, c.dkim_signing);
    });
    check_unsubscribe_listener(c, listener_lines, diagnostics);
    check_unsubscribe_mailto(c, diagnostics);
    if (c.cluster.node.empty()) c.cluster.node = c.server.hostname;
    doc.report_unknown_keys();
    place_beside_spool_and_logs(c);
    return c;
}

LoadResult finish(Diagnostics& diagnostics) {
    return LoadResult{.config = std::nullopt, .errors = diagnostics.take()};
}

}  // namespace

LoadResult load_string(std::string_view text, const std::filesystem::path& name) {
    Diagnostics diagnostics(name.string());
    auto ascii = to_ascii_toml(text);
    if (const auto* problem = std::get_if<TomlTextError>(&ascii)) {
        diagnostics.add(problem->line, "syntax error: " + problem->what);
        return finish(diagnostics);
    }
    try {
        const toml::table root =
            toml::parse(std::get<std::string>(ascii), std::string_view(name.native()));
        Config config = read_config(root, diagnostics);
        if (!diagnostics.empty()) return finish(diagnostics);
        config.source = name;
        return LoadResult{.config = std::move(config), .errors = {}};
    } catch (const toml::parse_error& e) {
        diagnostics.add(e.source().begin.line, "syntax error: " + std::string(e.description()));
    } catch (const std::exception& e) {
        diagnostics.add(0, std::string("cannot load: ") + e.what());
    }
    return finish(diagnostics);
}

LoadResult load_file(const std::filesystem::path& path) {
    Diagnostics diagnostics(path.string());
    // Non-blocking: opening a FIFO for reading would wait for a writer, and a reload (or a
    // check-config in a script) would hang with it. Whatever was opened is then checked: a
    // FIFO, a device or a directory is never read.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        diagnostics.add(0, std::string("cannot read: ") + std::strerror(errno));
        return finish(diagnostics);
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        diagnostics.add(0, std::string("cannot read: ") + std::strerror(errno));
        return finish(diagnostics);
    }
    if (S_ISDIR(st.st_mode)) {
        diagnostics.add(0, "cannot read: is a directory");
        return finish(diagnostics);
    }
    if (!S_ISREG(st.st_mode)) {
        diagnostics.add(0, "cannot read: not a regular file (a FIFO, socket or device)");
        return finish(diagnostics);
    }
    if (static_cast<std::uint64_t>(st.st_size) > kMaxFileSize) {
        diagnostics.add(0, kTooLarge);
        return finish(diagnostics);
    }
    // Bounded read all the same: the file may grow while it is read.
    std::string text;
    char buffer[65536];
    while (text.size() <= kMaxFileSize) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            diagnostics.add(0, std::string("cannot read: ") + std::strerror(errno));
            return finish(diagnostics);
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    if (text.size() > kMaxFileSize) {
        diagnostics.add(0, kTooLarge);
        return finish(diagnostics);
    }
    return load_string(text, path);
}

}  // namespace herald::config
