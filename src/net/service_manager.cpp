#include "net/service_manager.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <fmt/core.h>

namespace herald::net {

void notify_ready() {
    ::sd_notify(0, "READY=1");
}

void notify_reloading() {
    // systemd 253 and later pair RELOADING=1 with the CLOCK_MONOTONIC time it began.
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    ::sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
}

void notify_stopping() {
    ::sd_notify(0, "STOPPING=1");
}

}  // namespace herald::net
