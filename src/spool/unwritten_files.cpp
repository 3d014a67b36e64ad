#include "spool/unwritten_files.hpp"

namespace herald::spool {

bool UnwrittenFiles::keep(std::string_view id, std::string file) {
    std::lock_guard lock(mutex_);
    if (bytes_ + file.size() > budget_) return false;
    const std::size_t size = file.size();
    if (!files_.emplace(std::string(id), std::move(file)).second) return false;
    bytes_ += size;
    return true;
}

bool UnwrittenFiles::drop(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = files_.find(std::string(id));
    if (it == files_.end()) return false;
    bytes_ -= it->second.size();
    files_.erase(it);
    return true;
}

std::vector<std::string> UnwrittenFiles::ids() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(files_.size());
    for (const auto& [id, file] : files_) out.push_back(id);
    return out;
}

std::string UnwrittenFiles::write_all(const Writer& write) {
    std::lock_guard lock(mutex_);
    for (auto it = files_.begin(); it != files_.end();) {
        if (auto error = write_and_drop(it, write); !error.empty()) return error;
    }
    return "";
}

std::string UnwrittenFiles::write_one(std::string_view id, const Writer& write) {
    std::lock_guard lock(mutex_);
    auto it = files_.find(std::string(id));
    return it == files_.end() ? "" : write_and_drop(it, write);
}

std::string UnwrittenFiles::write_and_drop(Files::iterator& it, const Writer& write) {
    if (auto error = write(it->first, it->second); !error.empty()) return error;
    bytes_ -= it->second.size();
    it = files_.erase(it);
    return "";
}

}  // namespace herald::spool
