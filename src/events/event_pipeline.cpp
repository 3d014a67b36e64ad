#include "events/event_pipeline.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <fstream>
#include <sstream>

#include "events/builtin_bounce_rules.hpp"
#include "events/file_sink.hpp"
#include "log/log_file.hpp"
#include "log/panic_log.hpp"

namespace herald::events {

Result<BounceClassifier> load_bounce_classifier(const config::Bounces& bounces) {
    if (bounces.rules.empty()) {
        return BounceClassifier::parse(builtin_bounce_rules_toml(), "config/bounce_rules.toml");
    }
    std::ifstream in(bounces.rules);
    if (!in) return Error{"[bounces] rules: cannot read " + bounces.rules.string()};
    std::ostringstream text;
    text << in.rdbuf();
    return BounceClassifier::parse(text.str(), bounces.rules.string());
}

std::vector<std::string> unusable(const config::Config& config) {
    std::vector<std::string> reasons;
    if (auto classifier = load_bounce_classifier(config.bounces); !classifier) {
        reasons.push_back(classifier.error());
    }
    for (const auto& sink : config.event_sinks) {
        if (sink.type != config::EventSink::Type::webhook) continue;
        if (auto url = delivery::HttpUrl::parse(sink.url); !url) {
            reasons.push_back("event sink " + sink.name + ": url " + url.error());
        }
    }
    return reasons;
}

Result<std::unique_ptr<EventPipeline>> EventPipeline::open(const config::Config& config,
                                                           boost::asio::any_io_executor executor,
                                                           BlockingPool& pool,
                                                           log::MainLog& mainlog,
                                                           log::PanicLog& paniclog) {
    if (auto why = unusable(config); !why.empty()) return Error{why.front()};
    auto classifier = load_bounce_classifier(config.bounces);
    if (!classifier) return Error{classifier.error()};
    std::unique_ptr<EventPipeline> pipeline(new EventPipeline(std::move(*classifier)));
    pipeline->executor_ = executor;
    for (const auto& sink : config.event_sinks) {
        if (sink.type == config::EventSink::Type::file) {
            auto file = log::LogFile::open(sink.path);
            if (!file) return Error{"event sink " + sink.name + ": " + file.error()};
            pipeline->hub_.add(std::make_unique<FileSink>(sink.name, std::move(*file)), sink.types);
            continue;
        }
        const auto directory = config.server.spool_dir / "outbox" / sink.name;
        const auto dead_letter = config.server.spool_dir / "outbox" / (sink.name + ".dead");
        auto outbox = Outbox::open(directory, dead_letter, {.max_events = sink.max_outbox});
        if (!outbox) return Error{"event sink " + sink.name + ": " + outbox.error()};
        auto webhook = std::make_unique<WebhookSink>(sink, std::move(*outbox), executor, pool,
                                                     mainlog, paniclog);
        pipeline->webhooks_.push_back(webhook.get());
        pipeline->hub_.add(std::move(webhook), sink.types);
    }
    pipeline->hub_.watch([p = pipeline.get()](const Event& event) { p->count(event); });
    return pipeline;
}

void EventPipeline::count(const Event& event) {
    ++by_type_[static_cast<std::size_t>(event.type)];
    if (event.type != EventType::bounced) return;
    if (auto category = parse_category(event.category)) {
        ++bounces_[event.async ? 1 : 0][static_cast<std::size_t>(*category)];
    }
}

void EventPipeline::start() {
    for (auto* webhook : webhooks_) {
        boost::asio::co_spawn(executor_, webhook->run(), boost::asio::detached);
    }
}

void EventPipeline::stop() {
    for (auto* webhook : webhooks_) webhook->stop();
}

EventFigures EventPipeline::figures() const {
    EventFigures figures;
    for (std::size_t i = 0; i < kEventTypeNames.size(); ++i) {
        figures.by_type[std::string(kEventTypeNames[i])] = by_type_[i];
    }
    for (std::size_t kind = 0; kind < 2; ++kind) {
        for (std::size_t c = 0; c < kBounceCategoryNames.size(); ++c) {
            if (bounces_[kind][c] == 0) continue;
            figures.bounces[{std::string(category_name(static_cast<BounceCategory>(c))),
                             kind == 0 ? "sync" : "async"}] = bounces_[kind][c];
        }
    }
    for (const auto* webhook : webhooks_) {
        const auto counts = webhook->counts();
        figures.webhooks.push_back({.name = std::string(webhook->name()),
                                    .depth = counts.depth,
                                    .failures = counts.failures,
                                    .dead = counts.dead});
    }
    return figures;
}

}  // namespace herald::events
