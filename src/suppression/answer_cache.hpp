#pragma once
// The answers of the suppression list's recent checks, kept until the database takes its next
// commit (commit_watch.hpp), in this process or another: the same recipient is asked about at
// RCPT and again at its delivery, and a sender's mail goes to the same few recipients again
// and again. A kept answer spares a read transaction (two file-lock calls) and the SQL.
//
// An answer is kept under the header read before its lookup: a commit that lands during the
// lookup changes the header, and the next check drops every answer. What is in memory: at most
// kMaxAnswers answers (some 1 MiB with their keys: a million queued messages must fit in
// 256 MiB), dropped all at once when full (the next checks refill it). A delivery follows its
// RCPT by milliseconds when the queue is not behind: a few seconds of mail is enough.
// Not thread-safe: the list calls it under its own mutex.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "suppression/commit_watch.hpp"
#include "suppression/entry.hpp"

namespace herald::suppression {

class AnswerCache {
  public:
    static constexpr std::size_t kMaxAnswers = 4096;

    // `watch` null: nothing is ever kept.
    explicit AnswerCache(std::unique_ptr<CommitWatch> watch) : watch_(std::move(watch)) {}

    // The answer kept for `key` (nullptr when none): call before the lookup, which reads the
    // header that answers are kept under.
    const std::optional<Entry>* find(const std::string& key);
    // The lookup's answer for `key`, kept when the header could be read by find().
    void keep(std::string key, std::optional<Entry> answer);

  private:
    std::unique_ptr<CommitWatch> watch_;
    std::optional<CommitWatch::Stamp> stamp_;  // the header the answers were read under
    std::unordered_map<std::string, std::optional<Entry>> answers_;
};

}  // namespace herald::suppression
