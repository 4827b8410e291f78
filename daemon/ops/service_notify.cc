#include "daemon/ops/service_notify.h"

#include <cstdint>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace station {

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  // 0: keep the variables; stationd starts no children that could take them.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = std::chrono::microseconds(usec);
    // The ingest loop wakes at least once a second, so a ping is due at
    // most about a second late; a shorter period would kill a healthy daemon.
    if (watchdog_period_ < std::chrono::seconds(4)) {
      spdlog::warn("systemd watchdog period is {} ms: keep WatchdogSec= at 4 s or more, the ingest loop proves it "
                   "is alive about once a second",
                   usec / 1000);
    }
  }
}

void ServiceNotifier::Send(const std::string& state) {
  // A failure to notify is not a reason to stop serving: systemd acts on
  // the missing notification itself (start timeout, watchdog).
  const int r = sd_notify(0, state.c_str());
  if (r < 0) spdlog::debug("sd_notify failed: {}", r);
}

void ServiceNotifier::Ready(const std::string& status) {
  Send("READY=1\nSTATUS=" + status);
  last_ping_ = std::chrono::steady_clock::now();
}

void ServiceNotifier::Status(const std::string& status) { Send("STATUS=" + status); }

void ServiceNotifier::Stopping(const std::string& status) { Send("STOPPING=1\nSTATUS=" + status); }

void ServiceNotifier::Alive() {
  if (watchdog_period_.count() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ping_ < watchdog_period_ / 2) return;
  last_ping_ = now;
  Send("WATCHDOG=1");
}

}  // namespace station
