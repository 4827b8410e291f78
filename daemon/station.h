#pragma once
// stationd as one object: the Station owns its services, builds them in the
// order they depend on each other and, by the order of its members, tears
// them down in the reverse order.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "core/status.h"
#include "daemon/clerk/control_server.h"
#include "daemon/daemon_config.h"
#include "daemon/desk/problem_desk.h"
#include "daemon/ingest/ingest_server.h"
#include "daemon/ops/metrics_server.h"
#include "daemon/ops/service_notify.h"
#include "daemon/reconciler/reconciler.h"
#include "daemon/storage/retention.h"
#include "daemon/storage/run_file.h"
#include "daemon/storage/store.h"
#include "daemon/storage/waybill_index.h"
#include "daemon/uplink/uplink.h"
#include "security/sessions.h"
#include "security/zap_handler.h"

namespace station {

// Runs stationd in the foreground until SIGTERM or SIGINT. Blocks those
// signals itself (call before starting any thread). Returns the exit code:
// 0 after a clean stop, 1 when it could not start or failed.
int RunStation(const DaemonConfig& config);

class Station {
 public:
  // Everything up to the point of serving: the data folder locked, the
  // database opened (and checked after an unclean stop), the keys, every
  // socket bound, the run file written, every service running. On failure,
  // the Status's message is the line to log; what was started is stopped.
  static Result<std::unique_ptr<Station>> Open(const DaemonConfig& config, int stop_fd);
  // Stops the services in the reverse order of their start; the run file
  // goes only once the waybill index is durable ("stopped cleanly").
  ~Station();
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  // Tells systemd it is ready, then serves the docks and the clerk on this
  // thread until `stop_fd` is readable. Non-OK when the dock socket failed.
  Status Run();

 private:
  Station(const DaemonConfig& config, int stop_fd) : config_(config), stop_fd_(stop_fd) {}
  // The start, step by step, in this order.
  Status OpenStorage();
  Status OpenSecurity();
  Status LoadKeys();
  Status BindSockets();
  Status WriteRunFile();
  Status StartServices();
  Status StartMetrics();
  // After each commit of scans, on the ingest thread: the services that
  // follow new scans look now rather than at their next tick.
  void AfterCommit();
  // On the ZAP handler's thread, when a gun's key was revoked: shuts down
  // its open connections, idle ones included.
  void CloseConnectionsOf(const std::string& gun, const std::string& key,
                          const std::vector<std::string>& admitted_from);

  const DaemonConfig config_;
  const int stop_fd_;
  std::optional<DataDirLock> lock_;
  bool existing_station_ = false;  // station.db was there before this start
  std::unique_ptr<Store> store_;
  // Two I/O threads: one connection moving megabytes through CURVE (or a
  // hostile 8 MiB message) does not hold up every other dock's (T12).
  zmq::context_t context_{2};
  IngestOptions ingest_options_;
  UplinkOptions uplink_options_;
  security::SessionTracker sessions_;
  std::unique_ptr<security::ZapHandler> zap_;
  // What the clerk's commands use; filled as the services start below,
  // read only by the ingest thread, which serves only after Open.
  ClerkServices clerk_services_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<IngestServer> ingest_;
  RunInfo run_info_;
  // stationd.json, removed when this goes: after the index is durable,
  // since its absence says "stopped cleanly, the index can be trusted".
  class RunFile {
   public:
    explicit RunFile(std::string data_dir) : data_dir_(std::move(data_dir)) {}
    RunFile(const RunFile&) = delete;
    RunFile& operator=(const RunFile&) = delete;
    ~RunFile() { RemoveRunInfo(data_dir_); }

   private:
    std::string data_dir_;
  };
  std::optional<RunFile> run_file_;
  std::unique_ptr<IndexThread> index_thread_;
  std::unique_ptr<Uplink> uplink_;
  std::shared_ptr<PruneGate> prune_gate_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<ProblemDesk> desk_;
  std::unique_ptr<Pruner> pruner_;
  std::unique_ptr<MetricsServer> metrics_;
  ServiceNotifier notifier_;
};

}  // namespace station
