#pragma once
// What every user of GMime here needs: the library set up once per process, and its objects
// released by RAII. Header-only: only the modules that link GMime (api/, reports/) include it.
#include <gmime/gmime.h>

#include <memory>
#include <mutex>

namespace herald::message {

struct GObjectUnref {
    void operator()(void* object) const { g_object_unref(object); }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

inline void init_gmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

}  // namespace herald::message
