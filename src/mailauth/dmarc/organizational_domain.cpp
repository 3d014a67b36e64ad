#include "mailauth/dmarc/organizational_domain.hpp"

#include <libpsl.h>

#include <algorithm>

namespace herald::mailauth::dmarc {
namespace {

// One list for the process, loaded on first use (thread-safe static) and never freed when
// it is libpsl's built-in one.
class SuffixList {
  public:
    SuffixList() : loaded_(psl_latest(nullptr)) {}
    ~SuffixList() {
        if (loaded_) psl_free(loaded_);
    }
    SuffixList(const SuffixList&) = delete;
    SuffixList& operator=(const SuffixList&) = delete;

    const psl_ctx_t* get() const { return loaded_ ? loaded_ : psl_builtin(); }

  private:
    psl_ctx_t* loaded_;
};

}  // namespace

std::string canonical_domain(std::string_view domain) {
    if (domain.ends_with('.')) domain.remove_suffix(1);
    std::string out(domain);
    std::ranges::transform(out, out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string organizational_domain(std::string_view domain) {
    static const SuffixList list;
    std::string name = canonical_domain(domain);
    if (name.empty() || name.find('\0') != std::string::npos || !list.get()) return name;
    const char* registrable = psl_registrable_domain(list.get(), name.c_str());
    return registrable ? std::string(registrable) : name;
}

}  // namespace herald::mailauth::dmarc
