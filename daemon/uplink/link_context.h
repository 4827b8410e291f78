#pragma once
// What each protocol on the national link is handed by the Uplink: the
// request sender (NationalConnection, or a test's fake), the store, the
// clerk's status figures and the jittered backoff they all use.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "daemon/uplink/uplink.h"
#include "daemon/uplink/uplink_store.h"
#include "wire/control_status.h"

namespace station {

using SteadyClock = std::chrono::steady_clock;

// Every backoff of the link (refused uploads, posts and lookups, a refused
// key) doubles up to this.
inline constexpr int kMaxBackoffMs = 60'000;

// Spreads waits by +-20 %, so that stations refused together do not all
// come back at the same moment.
class Jitter {
 public:
  int Around(int ms) {
    std::uniform_int_distribution<int> spread(-ms / 5, ms / 5);
    return ms + spread(rng_);
  }

 private:
  std::mt19937 rng_{std::random_device{}()};
};

// How a protocol puts a request on the link.
class RequestSender {
 public:
  virtual ~RequestSender() = default;
  // A req no other request of any run of this station had: "<prefix>",
  // then (NationalConnection) a tag of this run and a serial. One serial
  // counts every request on the link, of every protocol, so it also orders
  // the sends.
  virtual std::string NextReq(const char* prefix) = 0;
  // The serial of the latest NextReq.
  virtual std::uint64_t serial() const = 0;
  // Queues `header`, then `body` as a second frame when given. false when
  // it could not be queued (no connection yet, or the queue is full).
  virtual bool Send(const std::string& header, const std::string* body) = 0;
};

// References only: the Uplink owns all of it and outlives the protocols.
struct LinkContext {
  const UplinkOptions& options;
  const std::string& station;  // this station's code, in every request
  UplinkStore& store;          // the uplink thread's own connection to station.db
  RequestSender& sender;
  // Each protocol writes its own figures here; last_error is whoever was
  // refused last.
  UplinkStatus& status;
  Jitter& jitter;
};

}  // namespace station
