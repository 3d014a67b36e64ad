#pragma once
// What systemd (Type=notify) is told: ready once the listeners and the spool are up, reloading
// while a reload is read and applied, stopping once a stop begins. Without $NOTIFY_SOCKET (not
// started by systemd) each call does nothing.
namespace herald::net {

void notify_ready();
void notify_reloading();
void notify_stopping();

}  // namespace herald::net
