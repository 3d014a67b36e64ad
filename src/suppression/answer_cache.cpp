#include "suppression/answer_cache.hpp"

namespace herald::suppression {

const std::optional<Entry>* AnswerCache::find(const std::string& key) {
    if (!watch_) return nullptr;
    auto now = watch_->last_commit();
    if (now != stamp_) {
        answers_.clear();
        stamp_ = now;
    }
    if (!stamp_) return nullptr;
    const auto it = answers_.find(key);
    return it == answers_.end() ? nullptr : &it->second;
}

void AnswerCache::keep(std::string key, std::optional<Entry> answer) {
    if (!stamp_) return;
    if (answers_.size() >= kMaxAnswers) answers_.clear();
    answers_.emplace(std::move(key), std::move(answer));
}

}  // namespace herald::suppression
