#pragma once
// stationd under systemd (Type=notify, WatchdogSec=): tells the service
// manager when it is ready, what it is doing, that it is alive, and that it
// is stopping (sd_notify(3)). Without NOTIFY_SOCKET (not started by systemd)
// every call does nothing, so the daemon calls them unconditionally.

#include <chrono>
#include <string>

namespace station {

class ServiceNotifier {
 public:
  // Reads WATCHDOG_USEC and WATCHDOG_PID (sd_watchdog_enabled).
  ServiceNotifier();

  // READY=1 with a STATUS line: call once the database is open and every
  // socket is bound, never before, since systemd then starts what depends on us.
  void Ready(const std::string& status);
  // STATUS=...: one short line for `systemctl status`.
  void Status(const std::string& status);
  // STOPPING=1: a stop was asked for and is under way.
  void Stopping(const std::string& status);

  // Proof of life from the ingest loop, called on each of its passes: sends
  // WATCHDOG=1 when half the watchdog period has passed since the last one.
  // Called from that loop and nowhere else, so a stuck loop stops the pings
  // and systemd restarts the daemon. Cheap when nothing is due.
  void Alive();

  // The watchdog period systemd asked for; zero when it asked for none.
  std::chrono::microseconds watchdog_period() const { return watchdog_period_; }

 private:
  void Send(const std::string& state);

  std::chrono::microseconds watchdog_period_{0};
  std::chrono::steady_clock::time_point last_ping_{};
};

}  // namespace station
