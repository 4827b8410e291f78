#include "daemon/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "daemon/storage/retention.h"
#include "daemon/storage/run_file.h"
#include "daemon/ops/service_notify.h"
#include "daemon/storage/store.h"
#include "daemon/storage/waybill_index.h"
#include "core/command_line.h"
#include "scanner/identifiers.h"
#include "security/key_file.h"
#include "security/key_store.h"
#include "security/link_security.h"
#include "security/sessions.h"
#include "security/zap_handler.h"

namespace station {
Status ValidateConfig(const DaemonConfig& config) {
  if (!IsStationCode(config.ingest.station)) {
    return Status::InvalidArgument("--station '" + config.ingest.station + "'", "a station code is six digits");
  }
  if (config.data_dir.empty()) return Status::InvalidArgument("--data-dir", "is required");
  if (config.ingest.endpoint.empty()) return Status::InvalidArgument("--ingest", "is required");
  if (config.ingest.max_message_bytes < 4096 || config.ingest.max_message_bytes > (64u << 20)) {
    return Status::InvalidArgument("--max-message-bytes", "must be between 4096 and 67108864");
  }
  if (config.ingest.disk.min_free_mb < 0 || config.ingest.disk.min_free_mb > 1'000'000) {
    return Status::InvalidArgument("--min-free-mb", "must be between 0 and 1000000");
  }
  if (config.retention_days < 365 || config.retention_days > 36'500) {
    return Status::InvalidArgument("--retention-days",
                                   "must be between 365 and 36500: scans are kept at least a year (DESIGN §4)");
  }
  if (!config.metrics.listen.empty()) {
    if (auto listen = ParseMetricsListen(config.metrics); !listen.ok()) return listen.status();
  }
  if (config.db.synchronous != "FULL" && config.db.synchronous != "NORMAL") {
    return Status::InvalidArgument("synchronous", "must be FULL (or NORMAL for the power-loss test only)");
  }
  if (!config.control.empty() && !security::IsIpcEndpoint(config.control) &&
      !(config.insecure && security::CheckLoopbackOnly(config.control, "--control").ok())) {
    return Status::InvalidArgument("--control '" + config.control + "'",
                                   "must be ipc:// (a socket file guarded by the data folder's permissions): the "
                                   "clerk's commands are not authenticated by key");
  }
  const UplinkOptions& u = config.uplink;
  if (config.insecure) {
    if (Status s = security::CheckLoopbackOnly(config.ingest.endpoint, "--ingest"); !s.ok()) return s;
    if (!u.endpoint.empty()) {
      if (Status s = security::CheckLoopbackOnly(u.endpoint, "--national"); !s.ok()) return s;
    }
  } else if (!u.endpoint.empty() && !security::IsIpcEndpoint(u.endpoint) && config.national_key.empty()) {
    return Status::InvalidArgument("--national-key",
                                   "is required with a tcp:// --national: national's public key (its .key file), "
                                   "so that this station talks only to the real national system");
  }
  if (!u.endpoint.empty()) {
    if (u.endpoint.rfind("tcp://", 0) != 0 && u.endpoint.rfind("ipc://", 0) != 0) {
      return Status::InvalidArgument("--national '" + u.endpoint + "'", "must be a tcp:// or ipc:// endpoint");
    }
    if (u.heartbeat_ms < 100 || u.heartbeat_ms > 60'000) {
      return Status::InvalidArgument("--national-heartbeat-ms", "must be between 100 and 60000");
    }
    if (u.reply_timeout_ms < 200 || u.reply_timeout_ms > 600'000) {
      return Status::InvalidArgument("--national-reply-timeout-ms", "must be between 200 and 600000");
    }
    if (u.reconnect_max_ms < 1000 || u.reconnect_max_ms > 600'000) {
      return Status::InvalidArgument("--national-reconnect-max-ms", "must be between 1000 and 600000");
    }
    if (u.window < 1 || u.window > 256) return Status::InvalidArgument("--upload-window", "must be between 1 and 256");
    if (u.upload_scans < 1 || u.upload_scans > 50'000) {
      return Status::InvalidArgument("--upload-scans", "must be between 1 and 50000");
    }
  }
  const ReconcilerOptions& r = config.reconcile;
  if (r.every_ms < 0 || r.every_ms > 7LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--reconcile-every-s", "must be between 0 and 604800");
  }
  if (r.settings.grace_ms < 0 || r.settings.grace_ms > 90LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--reconcile-grace-hours", "must be between 0 and 2160 (90 days)");
  }
  for (const auto& [origin, ms] : r.settings.grace_by_origin_ms) {
    if (!IsStationCode(origin)) {
      return Status::InvalidArgument("--reconcile-grace '" + origin + "'", "the origin is a six-digit station code");
    }
    if (ms < 0 || ms > 90LL * 24 * 3600 * 1000) {
      return Status::InvalidArgument("--reconcile-grace " + origin, "must be at most 2160 hours (90 days)");
    }
  }
  const ProblemSettings& p = config.problems.settings;
  if (p.deadlines.answer_within_ms < 60'000 || p.deadlines.answer_within_ms > 7LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--problem-answer-within-min", "must be between 1 and 10080 (7 days)");
  }
  if (p.deadlines.close_within_ms < 3'600'000 || p.deadlines.close_within_ms > 90LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--problem-close-within-h", "must be between 1 and 2160 (90 days)");
  }
  if (p.damage.grams < 0 || p.damage.grams > 100'000) {
    return Status::InvalidArgument("--damage-tolerance-g", "must be between 0 and 100000");
  }
  if (!(p.damage.percent >= 0 && p.damage.percent <= 100)) {
    return Status::InvalidArgument("--damage-tolerance-pct", "must be between 0 and 100");
  }
  return Status::OK();
}

int RunDaemon(const DaemonConfig& config) {
  if (Status s = ValidateConfig(config); !s.ok()) {
    spdlog::critical("bad configuration: {}", s.ToString());
    return 1;
  }
  auto stop_fd = OpenStopSignalFd();
  if (!stop_fd.ok()) {
    spdlog::critical("{}", stop_fd.status().ToString());
    return 1;
  }
  ::mkdir(config.data_dir.c_str(), 0750);
  auto lock = DataDirLock::Acquire(config.data_dir);
  if (!lock.ok()) {
    spdlog::critical("cannot start: {}", lock.status().ToString());
    return 1;
  }
  // A station that has run before and lost its key pair must not make a
  // new one quietly: every dock and national would refuse it, and nobody
  // would know why. The operator restores the key, or makes a new one.
  const bool existing_station = ::access(DatabasePath(config.data_dir).c_str(), F_OK) == 0;
  // stationd.json left behind means the last run did not stop cleanly.
  const bool unclean = FindLeftoverRunInfo(config.data_dir);
  auto store = Store::Open(DatabasePath(config.data_dir), config.db);
  if (!store.ok()) {
    spdlog::critical("cannot open the station database: {}", store.status().ToString());
    return 1;
  }
  if (unclean) {
    // After a crash or power loss, check the file before trusting it
    // (RELIABILITY.md §4); a damaged one is kept for forensics, not used.
    auto check = (*store)->db().QueryText("PRAGMA quick_check");
    if (!check.ok() || *check != "ok") {
      spdlog::critical("station database failed its check after an unclean stop: {}; keep the file and restore a backup",
                       check.ok() ? *check : check.status().ToString());
      return 1;
    }
    DropWaybillIndex(config.data_dir);
    spdlog::warn("the last run did not stop cleanly; database checked: ok; rebuilding the waybill index");
  }
  if (config.db.synchronous != "FULL") {
    spdlog::warn("synchronous={}: acknowledged scans may be lost on power loss (test setting)", config.db.synchronous);
  }

  zmq::context_t context(1);
  // Security first: the ZAP handler is bound before any CURVE server binds
  // (RFC 27), and the station's key pair is made on the first start.
  IngestOptions ingest = config.ingest;
  ingest.disk.path = config.data_dir;  // the volume that holds station.db and its WAL
  UplinkOptions uplink_options = config.uplink;
  security::SessionTracker sessions;
  std::unique_ptr<security::ZapHandler> zap;
  if (config.insecure) {
    spdlog::warn("--insecure: the dock port and the national link are NOT authenticated or encrypted; "
                 "development only");
  } else {
    if (Status s = security::CheckLibzmqForCurve(); !s.ok()) {
      spdlog::critical("cannot start: {}", s.ToString());
      return 1;
    }
    bool created = false;
    const std::string key_dir = config.data_dir + "/keys";
    if (existing_station && ::access((key_dir + "/station.key_secret").c_str(), F_OK) != 0) {
      spdlog::critical("cannot start: {}/station.key_secret is missing, but this station has run before: restore it "
                       "from a backup of the data folder, or make a new pair (stationctl keys create station --out {}) "
                       "and enroll it at national and give it to every dock",
                       key_dir, key_dir);
      return 1;
    }
    auto own = security::LoadOrCreateKeyPair(key_dir, "station", "station " + config.ingest.station, &created);
    if (!own.ok()) {
      spdlog::critical("cannot start: {}", own.status().ToString());
      return 1;
    }
    if (created) {
      spdlog::warn("created this station's key pair in {}; give {}/station.key to national to enroll "
                   "(stationctl keys enroll FILE --station {}) and to every dock (scanner-dock --station-key)",
                   key_dir, key_dir, config.ingest.station);
    }
    auto started = security::ZapHandler::Start(context, security::KeyStorePath(config.data_dir),
                                               [&sessions](const std::string& gun, const std::string& key) {
                                                 const int closed = sessions.Close(key);
                                                 spdlog::warn("security: closed {} connection(s) of gun {}", closed,
                                                              gun);
                                               });
    if (!started.ok()) {
      spdlog::critical("cannot start: {}", started.status().ToString());
      return 1;
    }
    zap = std::move(*started);
    if (!security::IsIpcEndpoint(ingest.endpoint)) {
      ingest.security = {true, own->secret_key, security::kGunDomain};
    }
    if (!uplink_options.endpoint.empty() && !security::IsIpcEndpoint(uplink_options.endpoint)) {
      auto national_key = security::ReadPublicKey(config.national_key);
      if (!national_key.ok()) {
        spdlog::critical("cannot start: --national-key: {}", national_key.status().ToString());
        return 1;
      }
      uplink_options.security = {true, *national_key, *own};
    }
  }
  auto server = IngestServer::Start(context, **store, ingest);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  // Absolute, so stationctl finds the socket from any working directory.
  const std::string control_endpoint =
      config.control.empty() ? "ipc://" + std::filesystem::absolute(config.data_dir).lexically_normal().string() +
                                   "/control.sock"
                             : config.control;
  auto control = ControlServer::Start(context, **store, config.ingest.station, control_endpoint);
  if (!control.ok()) {
    spdlog::critical("cannot start: {}", control.status().ToString());
    return 1;
  }
  (*server)->SetControl(control->get());
  (*server)->SetAuthentication(zap.get(), &sessions);
  // The run file is on disk before anything unsynced (the waybill index)
  // is written, so a power loss from here on is seen as an unclean stop.
  RunInfo info{static_cast<int>(::getpid()), config.ingest.station, (*server)->endpoint(), (*control)->endpoint(),
               NowMs()};
  if (Status s = WriteRunInfo(config.data_dir, info); !s.ok()) {
    spdlog::critical("cannot start: {}", s.ToString());
    return 1;
  }
  auto indexer = WaybillIndexer::Open(DatabasePath(config.data_dir), WaybillIndexPath(config.data_dir));
  if (!indexer.ok()) {
    spdlog::critical("cannot open the waybill index: {}", indexer.status().ToString());
    return 1;
  }
  auto index_thread = std::make_unique<IndexThread>(std::move(*indexer), std::chrono::milliseconds(200));
  std::unique_ptr<Uplink> uplink;
  if (!uplink_options.endpoint.empty()) {
    auto started = Uplink::Start(context, config.ingest.station, DatabasePath(config.data_dir), uplink_options,
                                 config.db.vfs);
    if (!started.ok()) {
      spdlog::critical("cannot start the national uplink: {}", started.status().ToString());
      return 1;
    }
    uplink = std::move(*started);
    (*control)->SetUplink(uplink.get());
  }
  ReconcilerOptions reconcile_options = config.reconcile;
  reconcile_options.settings.station = config.ingest.station;
  // A prune and a reconciliation run never overlap (retention.h).
  auto prune_gate = std::make_shared<PruneGate>();
  reconcile_options.prune_gate = prune_gate;
  auto reconciler = Reconciler::Start(DatabasePath(config.data_dir), reconcile_options, config.db.vfs);
  if (!reconciler.ok()) {
    spdlog::critical("cannot start reconciliation: {}", reconciler.status().ToString());
    return 1;
  }
  (*control)->SetReconciler(reconciler->get());
  ProblemDeskOptions desk_options = config.problems;
  desk_options.settings.station = config.ingest.station;
  auto desk = ProblemDesk::Start(DatabasePath(config.data_dir), desk_options, config.db.vfs);
  if (!desk.ok()) {
    spdlog::critical("cannot start the problem desk: {}", desk.status().ToString());
    return 1;
  }
  (*control)->SetProblemDesk(desk->get(), desk_options.settings);
  auto pruner = std::make_unique<Pruner>(DatabasePath(config.data_dir), config.db.vfs, config.retention_days,
                                         !uplink_options.endpoint.empty(), prune_gate);
  (*control)->SetPruner(pruner.get());
  (*server)->SetAfterCommit([thread = index_thread.get(), up = uplink.get(), d = desk->get()] {
    thread->Wake();
    if (up) up->Wake();
    d->Wake();
  });
  // Started last, so a scrape sees the waybill index; the figures come
  // from its own read-only connection, never from the writer's.
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics.listen.empty()) {
    auto started = MetricsServer::Start(config.metrics, config.data_dir, config.ingest.station, info.started_ms,
                                        [up = uplink.get()]() -> std::optional<UplinkStatus> {
                                          if (!up) return std::nullopt;
                                          return up->Report();
                                        });
    if (!started.ok()) {
      spdlog::critical("cannot start: {}", started.status().ToString());
      return 1;
    }
    metrics = std::move(*started);
    spdlog::info("metrics: Prometheus figures at http://{}/metrics", metrics->address());
    info.metrics = metrics->address();  // logged first: whoever reads the run file finds the line in the log
    if (Status s = WriteRunInfo(config.data_dir, info); !s.ok()) {
      spdlog::critical("cannot start: {}", s.ToString());
      return 1;
    }
  }
  spdlog::info("stationd started station={} data_dir={} ingest={} control={}", config.ingest.station,
               config.data_dir, (*server)->endpoint(), (*control)->endpoint());

  // systemd (Type=notify): ready only now, with the database open and every
  // socket bound; the watchdog is fed from the ingest loop itself, so a
  // stuck loop stops the pings and systemd restarts stationd.
  ServiceNotifier notifier;
  (*server)->SetEachPass([&notifier] { notifier.Alive(); });
  notifier.Ready("serving station " + config.ingest.station + ": docks on " + (*server)->endpoint());
  Status run = (*server)->Run(*stop_fd);
  notifier.Stopping(run.ok() ? "stopping" : "stopping on error: " + run.ToString());
  (*server)->SetEachPass(nullptr);
  (*server)->SetAfterCommit(nullptr);
  metrics.reset();  // its link report reads the uplink, stopped below
  (*control)->SetUplink(nullptr);
  (*control)->SetReconciler(nullptr);
  (*control)->SetProblemDesk(nullptr, {});
  (*control)->SetPruner(nullptr);
  pruner.reset();  // stops a prune under way after its current transaction
  desk->reset();        // finishes a pass under way
  reconciler->reset();  // finishes a run under way
  uplink.reset();  // stops its thread; its cursor is already in station.db
  // Joins the thread and makes the index durable; only then may the run
  // file go, saying "stopped cleanly, the index can be trusted".
  index_thread.reset();
  RemoveRunInfo(config.data_dir);
  ::close(*stop_fd);
  if (!run.ok()) {
    spdlog::error("stationd stopped on error: {}", run.ToString());
    return 1;
  }
  spdlog::info("stationd stopped cleanly");
  return 0;
}

}  // namespace station
