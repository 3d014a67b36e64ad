#include "queue/intake.hpp"

#include "base/blocking_pool.hpp"
#include "base/called_back.hpp"
#include "log/main_log.hpp"
#include "mailauth/dkim/body_hash.hpp"
#include "message/arrival_stamp.hpp"
#include "message/header_block.hpp"
#include "queue/queue_census.hpp"
#include "spool/file_descriptor.hpp"
#include "spool/message_id.hpp"
#include "spool/spool.hpp"

namespace herald::queue {

namespace asio = boost::asio;

namespace {

// The body is read for its DKIM hash in pieces this large.
constexpr std::size_t kBodyChunk = 64 * 1024;

IntakeFailure read_failure(const spool::IncomingText& text, int err) {
    return IntakeFailure{false, spool::describe_errno("read", text.path(), err)};
}

// The body hashes every signature needs, from `from` (the body's first octet) to the end.
std::optional<IntakeFailure> hash_body(const spool::IncomingText& text, std::uint64_t from,
                                       mailauth::dkim::StreamedBodyHashes& hashes) {
    std::string chunk;
    for (std::uint64_t at = from; at < text.size(); at += chunk.size()) {
        chunk.clear();
        if (int err = text.read_at(at, kBodyChunk, chunk); err != 0) {
            return read_failure(text, err);
        }
        if (chunk.empty()) return IntakeFailure{false, text.path().string() + ": short read"};
        hashes.update(chunk);
    }
    hashes.finish();
    return std::nullopt;
}

// The stored message as a delivery reads it: `head`, then the text after its header section.
// Only a text still in memory: a larger one would be read from its file again, which is what
// the delivery does anyway.
std::shared_ptr<spool::SpooledMessageWithData> kept_for_delivery(const std::string& id,
                                                                 const message::Envelope& envelope,
                                                                 const std::string& head,
                                                                 const spool::IncomingText& text,
                                                                 std::uint64_t header_size) {
    if (text.on_disk()) return nullptr;
    std::string data = head;
    if (text.read_at(header_size, text.size() - header_size, data) != 0) return nullptr;
    return std::make_shared<spool::SpooledMessageWithData>(
        spool::as_just_stored(id, envelope, std::move(data)));
}

}  // namespace

spool::IncomingText Intake::incoming() {
    return spool_.create_incoming();
}

std::variant<Accepted, IntakeFailure> Intake::accept(const message::Envelope& envelope,
                                                     std::string data,
                                                     const IntakeOptions& options) {
    spool::IncomingText text = spool_.create_incoming();
    text.append(data);
    const std::uint64_t header_size = message::header_section_end(data);
    std::string().swap(data);
    return accept(envelope, text, header_size, options);
}

std::variant<Accepted, IntakeFailure> Intake::accept(const message::Envelope& envelope,
                                                     const spool::IncomingText& text,
                                                     std::uint64_t header_size,
                                                     const IntakeOptions& options) {
    auto finished = finish(envelope, text, header_size, options);
    if (auto* failed = std::get_if<IntakeFailure>(&finished)) return *failed;
    const auto& message = std::get<Finished>(finished);
    if (auto stored = spool_.store(message.id, envelope, message.head, text, header_size);
        !stored) {
        return IntakeFailure{stored.disk_full(), stored.error()};
    }
    return arrived(message, envelope, text, header_size, options);
}

asio::awaitable<std::variant<Accepted, IntakeFailure>> Intake::accept_from_loop(
    const message::Envelope& envelope, const spool::IncomingText& text, std::uint64_t header_size,
    const IntakeOptions& options, BlockingPool& pool) {
    if (text.on_disk()) {
        co_return co_await pool.run([&] { return accept(envelope, text, header_size, options); });
    }
    std::variant<Finished, IntakeFailure> finished;
    if (options.dkim.empty()) {
        finished = finish(envelope, text, header_size, options);
    } else {
        // Signing is the CPU's heaviest work a message: on the pool, it uses every core. The
        // pool thread then goes back to the pool rather than wait for the journal's flush.
        finished = co_await pool.run([&] { return finish(envelope, text, header_size, options); });
    }
    if (auto* failed = std::get_if<IntakeFailure>(&finished)) co_return *failed;
    const auto& message = std::get<Finished>(finished);
    const std::optional<std::string> flushed = co_await called_back([&](auto committed) {
        return spool_.store_in_memory(message.id, envelope, message.head, text, header_size,
                                      std::move(committed));
    });
    if (!flushed) {
        // No room in memory: written and flushed the usual way, off the loop.
        auto stored = co_await pool.run(
            [&] { return spool_.store(message.id, envelope, message.head, text, header_size); });
        if (!stored) co_return IntakeFailure{stored.disk_full(), stored.error()};
    } else if (!flushed->empty()) {
        co_return IntakeFailure{spool_.journal_disk_full(), *flushed};
    }
    co_return arrived(message, envelope, text, header_size, options);
}

std::variant<Intake::Finished, IntakeFailure> Intake::finish(const message::Envelope& envelope,
                                                             const spool::IncomingText& text,
                                                             std::uint64_t header_size,
                                                             const IntakeOptions& options) {
    if (!text.error().empty()) return IntakeFailure{text.disk_full(), text.error()};
    if (header_size > text.size()) {
        return IntakeFailure{false, "header section larger than the message"};
    }
    std::string header;
    std::string rest_start;  // the blank line after the header section, if there is one
    if (int err = text.read_at(0, header_size, header); err != 0) return read_failure(text, err);
    if (int err = text.read_at(header_size, 2, rest_start); err != 0) {
        return read_failure(text, err);
    }

    message::ArrivalStamp stamp;
    stamp.hostname = options.hostname;
    stamp.queue_id = spool::new_message_id();
    stamp.client_reverse_name = options.client_reverse_name;
    stamp.mask_client = options.mask_client;
    stamp.add_missing_ids = options.add_missing_ids;
    stamp.add_missing_from = options.add_missing_from;
    stamp.from_display_name = options.from_display_name;
    stamp.added_fields = options.added_fields;
    std::string head = stamp.apply_to_header(header, rest_start, envelope);
    std::string().swap(header);
    if (!options.dkim.empty()) {
        // The body as DKIM sees it (mailauth::dkim::message_body): after the blank line.
        std::uint64_t body_from = header_size;
        if (rest_start.starts_with("\r\n")) {
            body_from += 2;
        } else if (rest_start.starts_with("\n")) {
            body_from += 1;
        }
        mailauth::dkim::StreamedBodyHashes hashes;
        mailauth::dkim::want_body_hashes(hashes, options.dkim);
        if (auto failed = hash_body(text, body_from, hashes)) return *failed;
        std::vector<std::string> failures;
        std::string signatures = mailauth::dkim::sign_message(head, hashes, options.dkim, failures);
        for (const auto& failure : failures) mainlog_.note(stamp.queue_id + " " + failure);
        if (!signatures.empty()) head.insert(0, signatures);
    }
    return Finished{std::move(stamp.queue_id), std::move(head)};
}

Accepted Intake::arrived(const Finished& message, const message::Envelope& envelope,
                         const spool::IncomingText& text, std::uint64_t header_size,
                         const IntakeOptions& options) {
    auto headers = message::HeaderBlock::parse(message.head);
    const auto* subject = headers.find("Subject");
    const auto* message_id = headers.find("Message-ID");
    if (census_) census_->place(message.id, envelope);
    mainlog_.arrival(message.id, envelope, message.head.size() + (text.size() - header_size),
                     subject ? subject->value : "", message_id ? message_id->value : "");
    if (!options.preflight.empty()) mainlog_.event(message.id, "preflight " + options.preflight);
    if (!options.note.empty()) mainlog_.event(message.id, options.note);
    return Accepted{message.id,
                    kept_for_delivery(message.id, envelope, message.head, text, header_size)};
}

void Intake::withdraw(const std::string& id) {
    if (auto removed = spool_.remove(id); !removed) {
        // Left in the queue, it is delivered: better than a message the client was told failed
        // but that nobody can find.
        mainlog_.event(id, "not withdrawn: " + removed.error());
        return;
    }
    if (census_) census_->remove(id);
    mainlog_.event(id, "withdrawn: the rest of its batch was not queued");
    mainlog_.completed(id);
}

}  // namespace herald::queue
