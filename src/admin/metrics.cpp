#include "admin/metrics.hpp"

#include <fmt/core.h>

#include <cmath>
#include <initializer_list>

namespace herald::admin {

namespace {

// Failures with no transport (expiry, a bounce by the administrator) still count.
constexpr std::string_view kNoTransport = "none";

std::string_view transport_label(std::string_view transport) {
    return transport.empty() ? kNoTransport : transport;
}

// Herald's own DSNs: the null sender (RFC 5321 4.5.5), injected locally by the bouncer.
bool is_own_bounce(const message::Envelope& envelope) {
    return envelope.sender.empty() && envelope.protocol == "local";
}

class Exposition {
  public:
    // `node`: a cluster node's name, as the first label of every sample; empty: none.
    explicit Exposition(std::string_view node)
        : node_(node.empty() ? std::string() : "node=\"" + escape_label_value(node) + "\"") {}

    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::uint64_t value) {
        sample(name, {}, static_cast<double>(value));
    }
    void sample(std::string_view name, std::string_view label, std::string_view label_value,
                std::uint64_t value) {
        sample(name, {{label, label_value}}, static_cast<double>(value));
    }
    // With several labels: {{"provider", "google"}, {"source", "192.0.2.10"}}.
    void sample(std::string_view name,
                std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
                double value) {
        std::string joined = node_;
        for (const auto& [label, label_value] : labels) {
            if (!joined.empty()) joined += ',';
            joined += fmt::format("{}=\"{}\"", label, escape_label_value(label_value));
        }
        if (joined.empty()) {
            out_ += fmt::format("{} {}\n", name, value);
        } else {
            out_ += fmt::format("{}{{{}}} {}\n", name, joined, value);
        }
    }
    std::string take() { return std::move(out_); }

  private:
    std::string node_;
    std::string out_;
};

void render_cluster(Exposition& x, const ClusterFigures& cluster) {
    x.family("herald_cluster_redis_up", "gauge", "1 while this node reaches the cluster's Redis.");
    x.sample("herald_cluster_redis_up", cluster.redis_up ? 1 : 0);
    x.family("herald_cluster_redis_state_changes_total", "counter",
             "Changes between reaching Redis and not.");
    x.sample("herald_cluster_redis_state_changes_total", cluster.state_changes);
    x.family("herald_cluster_nodes", "gauge", "Nodes alive at the last heartbeat.");
    x.sample("herald_cluster_nodes", cluster.nodes);
    x.family("herald_cluster_local_counts_total", "counter",
             "Messages counted against this node's share of the limits while Redis was "
             "unreachable.");
    x.sample("herald_cluster_local_counts_total", cluster.local_counts);
}

void render_shaping(Exposition& x, const delivery::TrafficShaper::Figures& shaping) {
    x.family("herald_shaping_actions_total", "counter",
             "Reactions to providers' replies, by provider, source address and action.");
    for (const auto& pair : shaping.pairs) {
        for (const auto& [action, n] : pair.actions) {
            x.sample("herald_shaping_actions_total",
                     {{"provider", pair.provider}, {"source", pair.source}, {"action", action}},
                     static_cast<double>(n));
        }
    }
    x.family("herald_shaping_rule_matches_total", "counter",
             "Replies that matched a shaping rule, by provider and rule.");
    for (const auto& [key, n] : shaping.matches) {
        x.sample("herald_shaping_rule_matches_total",
                 {{"provider", key.first}, {"rule", key.second}}, static_cast<double>(n));
    }
    x.family("herald_shaping_rate_per_hour", "gauge",
             "The rate a provider's replies set, in messages an hour, while it holds.");
    x.family("herald_shaping_max_connections", "gauge",
             "The connection cap a provider's replies set, while it holds.");
    x.family("herald_shaping_suspended", "gauge",
             "1 while a provider's replies keep a source address suspended.");
    for (const auto& pair : shaping.pairs) {
        const auto labels = {
            std::pair<std::string_view, std::string_view>{"provider", pair.provider},
            std::pair<std::string_view, std::string_view>{"source", pair.source}};
        if (pair.rate > 0) x.sample("herald_shaping_rate_per_hour", labels, std::round(pair.rate));
        if (pair.connections > 0) {
            x.sample("herald_shaping_max_connections", labels,
                     static_cast<double>(pair.connections));
        }
        x.sample("herald_shaping_suspended", labels, pair.suspended ? 1 : 0);
    }
}

void render_tlsrpt(Exposition& x, const tlsrpt::TlsRptFigures& figures) {
    x.family("herald_tlsrpt_sessions_total", "counter",
             "TLS sessions counted for the TLS reports (RFC 8460), by result.");
    x.sample("herald_tlsrpt_sessions_total", "result", "successful", figures.successful_sessions);
    x.sample("herald_tlsrpt_sessions_total", "result", "failed", figures.failed_sessions);
    x.family("herald_tlsrpt_reports_total", "counter",
             "Attempts at sending a TLS report, by method and result (mail: sent is queued).");
    for (const auto& [key, n] : figures.reports) {
        x.sample("herald_tlsrpt_reports_total", {{"method", key.first}, {"result", key.second}},
                 static_cast<double>(n));
    }
    x.family("herald_tlsrpt_posts_waiting", "gauge",
             "TLS reports an https destination did not take, waiting to be tried again.");
    x.sample("herald_tlsrpt_posts_waiting", figures.waiting_posts);
}

void render_events(Exposition& x, const events::EventFigures& events) {
    x.family("herald_events_total", "counter", "Events made, by type (docs/events.md).");
    for (const auto& [type, n] : events.by_type) x.sample("herald_events_total", "type", type, n);
    x.family(
        "herald_bounces_by_category_total", "counter",
        "Failed recipients by bounce category, synchronous (a reply) or asynchronous (a DSN).");
    for (const auto& [key, n] : events.bounces) {
        x.sample("herald_bounces_by_category_total",
                 {{"category", key.first}, {"kind", key.second}}, static_cast<double>(n));
    }
    x.family("herald_event_outbox_depth", "gauge", "Events waiting in a webhook's outbox.");
    x.family("herald_event_webhook_failures_total", "counter",
             "Webhook requests that were not acknowledged.");
    x.family("herald_event_dead_letters_total", "counter",
             "Events moved from a full outbox to its dead-letter file.");
    for (const auto& sink : events.webhooks) {
        x.sample("herald_event_outbox_depth", "sink", sink.name, sink.depth);
        x.sample("herald_event_webhook_failures_total", "sink", sink.name, sink.failures);
        x.sample("herald_event_dead_letters_total", "sink", sink.name, sink.dead);
    }
    x.family("herald_reports_total", "counter",
             "DSNs and ARF reports that came back to the bounce domain, by result.");
    for (const auto& [key, n] : events.reports) {
        x.sample("herald_reports_total", {{"kind", key.first}, {"result", key.second}},
                 static_cast<double>(n));
    }
    x.family("herald_unsubscribe_requests_total", "counter",
             "Requests to one-click unsubscribe links, by outcome.");
    for (const auto& [outcome, n] : events.unsubscribes) {
        x.sample("herald_unsubscribe_requests_total", "result", outcome, n);
    }
}

// Start-up reads the queue while the server already takes mail: how far it got.
void render_queue_loading(Exposition& x, const queue::QueueLoadFigures& loading) {
    x.family("herald_queue_loading", "gauge",
             "1 while the queue found at start-up is still being read.");
    x.sample("herald_queue_loading", loading.loading ? 1 : 0);
    x.family("herald_queue_load_found_messages", "gauge",
             "Queue files found at start-up (known once they are listed).");
    x.sample("herald_queue_load_found_messages", loading.found);
    x.family("herald_queue_load_loaded_messages", "gauge",
             "Messages found at start-up that were read and queued so far.");
    x.sample("herald_queue_load_loaded_messages", loading.loaded);
}

void render_queue(Exposition& x, const queue::QueueCensusSnapshot& queue) {
    const auto age = [](const queue::QueueGauge& g) {
        return static_cast<std::uint64_t>(std::max<std::int64_t>(0, g.oldest_age.count()));
    };
    x.family("herald_queue_messages", "gauge", "Messages in the queue.");
    x.sample("herald_queue_messages", queue.total.messages);
    x.family("herald_queue_recipients", "gauge", "Recipients in the queue still to deliver.");
    x.sample("herald_queue_recipients", queue.total.recipients);
    x.family("herald_queue_oldest_age_seconds", "gauge", "Age of the oldest queued message.");
    x.sample("herald_queue_oldest_age_seconds", age(queue.total));

    struct PerGroup {
        std::string_view label;  // and part of the name: herald_queue_<label>_...
        std::string_view by;
        const std::map<std::string, queue::QueueGauge, std::less<>>* gauges;
    };
    for (const auto& [label, by, gauges] :
         {PerGroup{"transport", "transport", &queue.transports},
          PerGroup{"destination", "recipient domain", &queue.destinations}}) {
        const std::string messages = fmt::format("herald_queue_{}_messages", label);
        const std::string recipients = fmt::format("herald_queue_{}_recipients", label);
        const std::string oldest = fmt::format("herald_queue_{}_oldest_age_seconds", label);
        x.family(messages, "gauge",
                 fmt::format("Queued messages with recipients still to deliver, by {}.", by));
        for (const auto& [name, g] : *gauges) x.sample(messages, label, name, g.messages);
        x.family(recipients, "gauge", fmt::format("Recipients still to deliver, by {}.", by));
        for (const auto& [name, g] : *gauges) x.sample(recipients, label, name, g.recipients);
        x.family(oldest, "gauge", fmt::format("Age of the oldest queued message, by {}.", by));
        for (const auto& [name, g] : *gauges) x.sample(oldest, label, name, age(g));
    }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

Metrics::Metrics(const std::vector<std::string>& transports) {
    for (const auto& name : transports) transports_[name];
    for (auto reason : kRejectionReasons) rejections_[reason] = 0;
}

void Metrics::observe(const log::MainLogEvent& event) {
    using Kind = log::MainLogEvent::Kind;
    const auto now = MinuteHistory::Clock::now();
    std::lock_guard lock(mutex_);
    switch (event.kind) {
        case Kind::arrival:
            if (event.envelope && is_own_bounce(*event.envelope)) {
                ++bounces_;
            } else {
                ++received_;
                history_.count(Flow::received, now);
            }
            break;
        case Kind::delivered:
            ++transports_[std::string(transport_label(event.transport))].delivered;
            ++destination_of(event.recipient).delivered;
            history_.count(Flow::delivered, now);
            break;
        case Kind::deferred:
            ++transports_[std::string(transport_label(event.transport))].deferred;
            ++destination_of(event.recipient).deferred;
            history_.count(Flow::deferred, now);
            break;
        case Kind::failed:
            ++transports_[std::string(transport_label(event.transport))].failed;
            ++destination_of(event.recipient).failed;
            history_.count(Flow::bounced, now);
            break;
        default:
            break;
    }
}

TransportCounts& Metrics::destination_of(std::string_view recipient) {
    return destinations_[queue::capped_destination_label(recipient, destinations_)];
}

void Metrics::observe(const log::RejectLogEvent& event) {
    auto reason = classify_rejection(event.command, event.reply);
    std::lock_guard lock(mutex_);
    ++rejections_[reason];
    if (reason == RejectionReason::rate_limited) ++rate_limit_hits_;
}

void Metrics::connection_opened() {
    std::lock_guard lock(mutex_);
    ++connections_;
    ++connections_total_;
}

void Metrics::connection_closed() {
    std::lock_guard lock(mutex_);
    if (connections_ > 0) --connections_;
}

void Metrics::dkim_signed(std::string_view domain) {
    std::lock_guard lock(mutex_);
    auto it = dkim_signatures_.find(domain);
    if (it == dkim_signatures_.end()) it = dkim_signatures_.emplace(domain, 0).first;
    ++it->second;
}

void Metrics::set_queue(queue::QueueCensusSnapshot census) {
    std::lock_guard lock(mutex_);
    queue_ = std::move(census);
    // Configured transports show zero when nothing waits for them, as their counters do.
    for (const auto& [name, counts] : transports_) queue_.transports.try_emplace(name);
}

void Metrics::set_tlsrpt(tlsrpt::TlsRptFigures figures) {
    std::lock_guard lock(mutex_);
    tlsrpt_ = std::move(figures);
}

void Metrics::set_events(events::EventFigures figures) {
    std::lock_guard lock(mutex_);
    events_ = std::move(figures);
}

void Metrics::set_shaping(delivery::TrafficShaper::Figures figures) {
    std::lock_guard lock(mutex_);
    shaping_ = std::move(figures);
}

TransportCounts Metrics::transport(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = transports_.find(name);
    return it == transports_.end() ? TransportCounts{} : it->second;
}

TransportCounts Metrics::destination(std::string_view domain) const {
    std::lock_guard lock(mutex_);
    auto it = destinations_.find(domain);
    return it == destinations_.end() ? TransportCounts{} : it->second;
}

MinuteHistory::Snapshot Metrics::history(MinuteHistory::Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    return history_.snapshot(now);
}

void Metrics::set_node(std::string node) {
    std::lock_guard lock(mutex_);
    node_ = std::move(node);
}

void Metrics::set_queue_loading(queue::QueueLoadFigures figures) {
    std::lock_guard lock(mutex_);
    queue_loading_ = figures;
}

void Metrics::set_journal_flushes(std::uint64_t flushes) {
    std::lock_guard lock(mutex_);
    journal_flushes_ = flushes;
}

void Metrics::set_cluster(ClusterFigures figures) {
    std::lock_guard lock(mutex_);
    cluster_ = figures;
}

std::string Metrics::render() const {
    std::lock_guard lock(mutex_);
    Exposition x(node_);
    if (cluster_) render_cluster(x, *cluster_);
    x.family("herald_messages_received_total", "counter", "Messages accepted into the queue.");
    x.sample("herald_messages_received_total", received_);

    struct PerTransport {
        std::string_view name;
        std::string_view help;
        std::uint64_t TransportCounts::*count;
    };
    for (const auto& [name, help, count] :
         {PerTransport{"herald_recipients_delivered_total", "Recipients delivered.",
                       &TransportCounts::delivered},
          PerTransport{"herald_recipients_deferred_total",
                       "Delivery attempts deferred, per recipient.", &TransportCounts::deferred},
          PerTransport{"herald_recipients_failed_total", "Recipients failed for good.",
                       &TransportCounts::failed}}) {
        x.family(name, "counter", help);
        for (const auto& [transport, counts] : transports_) {
            x.sample(name, "transport", transport, counts.*count);
        }
    }
    for (const auto& [name, help, count] :
         {PerTransport{"herald_destination_recipients_delivered_total",
                       "Recipients delivered, by recipient domain.", &TransportCounts::delivered},
          PerTransport{"herald_destination_recipients_deferred_total",
                       "Delivery attempts deferred, by recipient domain.",
                       &TransportCounts::deferred},
          PerTransport{"herald_destination_recipients_failed_total",
                       "Recipients failed for good, by recipient domain.",
                       &TransportCounts::failed}}) {
        x.family(name, "counter", help);
        for (const auto& [domain, counts] : destinations_) {
            x.sample(name, "destination", domain, counts.*count);
        }
    }

    x.family("herald_bounces_total", "counter", "Delivery status notifications queued.");
    x.sample("herald_bounces_total", bounces_);
    x.family("herald_smtp_rejections_total", "counter", "SMTP commands refused, by reason.");
    for (const auto& [reason, n] : rejections_) {
        x.sample("herald_smtp_rejections_total", "reason", to_string(reason), n);
    }
    x.family("herald_rate_limit_hits_total", "counter", "Commands refused by a rate limit.");
    x.sample("herald_rate_limit_hits_total", rate_limit_hits_);

    render_queue(x, queue_);
    render_queue_loading(x, queue_loading_);
    x.family("herald_spool_journal_flushes_total", "counter",
             "Flushes of the spool's journal: messages, outcomes and removals share them.");
    x.sample("herald_spool_journal_flushes_total", journal_flushes_);
    render_shaping(x, shaping_);
    render_events(x, events_);
    if (tlsrpt_) render_tlsrpt(x, *tlsrpt_);

    x.family("herald_smtp_connections", "gauge", "SMTP connections open now.");
    x.sample("herald_smtp_connections", connections_);
    x.family("herald_smtp_connections_total", "counter", "SMTP connections accepted.");
    x.sample("herald_smtp_connections_total", connections_total_);

    x.family("herald_dkim_signatures_total", "counter", "DKIM signatures made, by domain.");
    for (const auto& [domain, n] : dkim_signatures_) {
        x.sample("herald_dkim_signatures_total", "domain", domain, n);
    }
    return x.take();
}

}  // namespace herald::admin
