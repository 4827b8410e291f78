#pragma once
// Dock-to-ack latency: several guns at once, each sending batch messages to
// a real stationd one at a time and timing each from send to ack.

#include <cstdint>
#include <string>

#include "core/status.h"

namespace station::bench {

struct LatencyOptions {
  std::string stationd;  // the program
  int guns = 4;          // client threads, one DEALER each, all at once
  int batches = 200;     // timed batches a gun, after one untimed warm-up
  int scans = 500;       // scans a batch
};

struct LatencyFigures {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::size_t batches = 0;  // timed
  std::int64_t stored = 0;  // scans in the database at the end
  // The run in quarters (the guns move in step): the p99 of each, and the
  // scans stored by its end. A batch costs more as the database grows.
  double quarter_p99_ms[4] = {};
  std::int64_t quarter_stored[4] = {};
};

// Starts its own stationd over `dir`/latency-station (log beside it), sends
// guns x (batches + 1) new batches (every one stored, none a duplicate) and
// checks that the database holds all of them. kIOError when a batch is not
// acknowledged as stored within 5 s or the count is wrong.
Result<LatencyFigures> MeasureLatency(const LatencyOptions& options, const std::string& dir);

}  // namespace station::bench
