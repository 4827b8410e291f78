#pragma once
// stationd --metrics: GET /metrics in the Prometheus text format, for a
// scraper on this machine (docs/operations.md, "Monitoring").
//
// Served by GNU libmicrohttpd on its own thread. The figures are read from
// a read-only connection of its own to station.db, one short read
// transaction a scrape: a scrape never takes the writer's lock, never waits
// for ingest, and ingest never waits for it (WAL).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/views/station_view.h"
#include "daemon/uplink/uplink.h"
#include "core/status.h"

struct MHD_Daemon;

namespace station {

struct MetricsOptions {
  // HOST:PORT, e.g. 127.0.0.1:9571; port 0 or * picks a free port. Empty:
  // no metrics endpoint (the default).
  std::string listen;
  // The figures are not authenticated: only a loopback address is taken
  // unless this is set (--metrics-allow-remote).
  bool allow_remote = false;
};

struct ListenAddress {
  std::string host;  // an IP literal: 127.0.0.1, ::1 (without brackets)
  int port = 0;      // 0: any free port
  bool ipv6 = false;
};

// `options.listen` parsed and checked; kInvalidArgument naming --metrics and
// what is wrong (not HOST:PORT, a port out of range, a name instead of an
// address, an address that is not loopback without allow_remote).
Result<ListenAddress> ParseMetricsListen(const MetricsOptions& options);

class MetricsServer {
 public:
  // The live national link, nullopt when there is none; called on the
  // server's thread, so it must be thread-safe (Uplink::Report is).
  using LinkReport = std::function<std::optional<UplinkStatus>()>;

  // Opens station.db of `data_dir` read-only and starts listening.
  // kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<MetricsServer>> Start(const MetricsOptions& options, const std::string& data_dir,
                                                      const std::string& station, std::int64_t started_ms,
                                                      LinkReport link);
  ~MetricsServer();  // stops the thread; a scrape under way finishes first

  // Where it listens, the port filled in: "127.0.0.1:39121", "[::1]:39121".
  const std::string& address() const { return address_; }

  // The response body for one scrape: the exposition text, or what failed.
  Result<std::string> Scrape();

 private:
  MetricsServer(std::unique_ptr<StationView> view, std::string station, std::int64_t started_ms, LinkReport link)
      : view_(std::move(view)), station_(std::move(station)), started_ms_(started_ms), link_(std::move(link)) {}

  std::mutex mu_;  // one scrape at a time on the one connection
  std::unique_ptr<StationView> view_;
  std::string station_;
  std::int64_t started_ms_;
  LinkReport link_;
  MHD_Daemon* daemon_ = nullptr;
  std::string address_;
};

}  // namespace station
