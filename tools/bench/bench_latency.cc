#include "tools/bench/bench_latency.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "wire/dock.h"
#include "tools/bench/bench_support.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct GunLatency {
  std::vector<double> ms;  // batch i+1's send -> ack
  std::string error;       // empty when every batch was acknowledged as stored
};

// One gun: sends `bodies` one at a time over its own DEALER and times each.
// bodies[0] is a warm-up (the connection is set up), not timed; then it
// waits for `go`, so all guns start together.
void RunGun(zmq::context_t& context, const std::string& endpoint, int gun, const std::vector<std::string>& bodies,
            int scans, std::atomic<int>& ready, const std::atomic<bool>& go, GunLatency& out) {
  bool counted = false;
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, 5000);
    socket.set(zmq::sockopt::sndtimeo, 5000);
    socket.connect(endpoint);
    out.ms.reserve(bodies.size());
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      if (i == 1) {
        ready.fetch_add(1);
        counted = true;
        while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      const std::string req = "gun" + std::to_string(gun) + "-" + std::to_string(i);
      const std::string header = EncodeBatchHeader({req, 0});
      const SteadyClock::time_point sent = SteadyClock::now();
      if (!socket.send(zmq::buffer(header), zmq::send_flags::sndmore) ||
          !socket.send(zmq::buffer(bodies[i]), zmq::send_flags::none)) {
        out.error = "send timed out";
        break;
      }
      zmq::message_t reply;
      if (!socket.recv(reply)) {
        out.error = "no ack within 5 s for " + req;
        break;
      }
      const SteadyClock::time_point acked = SteadyClock::now();
      auto ack = DecodeBatchAck(reply.to_string_view());
      if (!ack.ok() || !ack->ok || ack->req != req || ack->accepted != scans) {
        out.error = "bad ack for " + req + ": " + std::string(reply.to_string_view().substr(0, 200));
        break;
      }
      if (i > 0) out.ms.push_back(std::chrono::duration<double, std::milli>(acked - sent).count());
    }
  } catch (const zmq::error_t& e) {
    out.error = std::string("zmq: ") + e.what();
  }
  if (!counted) ready.fetch_add(1);  // failed while warming up: don't hold the others
}

// Nearest rank: the smallest value with at least p% of `sorted` at or below it.
double Percentile(const std::vector<double>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

}  // namespace

Result<LatencyFigures> MeasureLatency(const LatencyOptions& options, const std::string& dir) {
  // Made before the clock starts. Each batch has its own (device, batch), so
  // every one is stored, not answered as a duplicate.
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(options.guns));
  for (int g = 0; g < options.guns; ++g) {
    char device[32];
    std::snprintf(device, sizeof device, "PDA-L%03d", g + 1);
    for (int b = 0; b <= options.batches; ++b) {
      char batch[32];
      std::snprintf(batch, sizeof batch, "20261125-%04d", b);
      bodies[g].push_back(MakeGunFile({device, "C2001", kStationCode, batch, options.scans,
                                       static_cast<std::uint64_t>(g) * 7919 + static_cast<std::uint64_t>(b) + 7}));
    }
  }

  auto station = StartStation(options.stationd, dir + "/latency-station", dir + "/latency-stationd.log");
  if (!station.ok()) return station.status();
  zmq::context_t context(1);
  std::vector<GunLatency> results(static_cast<std::size_t>(options.guns));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int g = 0; g < options.guns; ++g) {
    threads.emplace_back(RunGun, std::ref(context), std::cref(station->endpoint), g + 1, std::cref(bodies[g]),
                         options.scans, std::ref(ready), std::cref(go), std::ref(results[g]));
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (ready.load() < options.guns && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  go.store(true);
  for (std::thread& t : threads) t.join();

  LatencyFigures figures;
  std::vector<double> all;
  for (int g = 0; g < options.guns; ++g) {
    if (!results[g].error.empty()) return Status::IOError("latency gun " + std::to_string(g + 1), results[g].error);
    all.insert(all.end(), results[g].ms.begin(), results[g].ms.end());
  }
  if (all.empty()) return Status::IOError("latency", "no batch was timed");
  const auto timed = static_cast<std::size_t>(options.batches);
  for (std::size_t q = 0; q < 4; ++q) {
    const std::size_t from = q * timed / 4, to = (q + 1) * timed / 4;
    std::vector<double> part;
    for (const GunLatency& gun : results) {
      part.insert(part.end(), gun.ms.begin() + static_cast<std::ptrdiff_t>(from),
                  gun.ms.begin() + static_cast<std::ptrdiff_t>(to));
    }
    std::sort(part.begin(), part.end());
    if (!part.empty()) figures.quarter_p99_ms[q] = Percentile(part, 99);
    figures.quarter_stored[q] = std::int64_t{options.guns} * static_cast<std::int64_t>(to + 1) * options.scans;
  }
  std::sort(all.begin(), all.end());
  figures.p50_ms = Percentile(all, 50);
  figures.p99_ms = Percentile(all, 99);
  figures.max_ms = all.back();
  figures.batches = all.size();

  auto stored = CountScans(station->data_dir);
  if (!stored.ok()) return stored.status();
  figures.stored = *stored;
  const std::int64_t expected = std::int64_t{options.guns} * (options.batches + 1) * options.scans;
  if (*stored != expected) {
    return Status::IOError("latency", "database holds " + std::to_string(*stored) + " scans, expected " +
                                          std::to_string(expected));
  }
  station->process.Stop(std::chrono::seconds(5));
  return figures;
}

}  // namespace station::bench
