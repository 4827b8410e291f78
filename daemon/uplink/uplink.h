#pragma once
// The national uplink: store-and-forward of this station's scans to the
// national system, the heartbeat that brings back its manifest rows and
// mail, and lookups of parcels that arrived unmanifested (docs/protocol.md,
// "The national link"; RELIABILITY.md §3b).
//
// One thread owns a DEALER connected to national. Scans go up in id order,
// up to `window` uploads in flight; the cursor in station.db moves only over
// a contiguous run of acknowledged uploads, so a restart of either side
// resumes from a point where everything before is held. National stores
// each scan once, so every resend is harmless.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "daemon/uplink/uplink_store.h"
#include "core/status.h"
#include "wire/control_status.h"
#include "security/link_security.h"

namespace station {

struct UplinkOptions {
  std::string endpoint;  // national's ROUTER; empty: no uplink
  int heartbeat_ms = 1000;      // a sync this often; no reply to anything for 3x this (>= 3 s) = link down
  int reply_timeout_ms = 10'000;  // an upload unanswered (nor settled by a sync) is resent after this, doubling to 60 s
  int window = 32;              // uploads in flight
  int upload_scans = 5000;      // scans per upload
  int reconnect_max_ms = 60'000;  // libzmq's reconnect backoff grows from 1 s to this
  // CURVE to national: its pinned public key and this station's pair.
  security::ClientSecurity security;
};

class Uplink {
 public:
  // Opens its connection to station.db and starts the thread.
  static Result<std::unique_ptr<Uplink>> Start(zmq::context_t& context, const std::string& station,
                                               const std::string& station_db, const UplinkOptions& options,
                                               const std::string& vfs = "");
  ~Uplink();  // stops and joins; the cursor is already on disk

  // Cheap, any thread: new scans were committed, or the clerk asked for an
  // upload now (`now` also cuts any backoff short).
  void Wake(bool now = false);
  UplinkStatus Report() const;

 private:
  struct Loop;
  Uplink() = default;
  void Run();
  void Publish(const UplinkStatus& status);

  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> hurry_{false};
  mutable std::mutex mu_;
  UplinkStatus status_;
};

}  // namespace station
