#include "daemon/station.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/clock.h"
#include "core/command_line.h"
#include "security/key_file.h"
#include "security/key_store.h"
#include "security/link_security.h"

namespace station {
namespace {

// A step that stops the start: its message is the line logged as critical.
Status StartFailure(const std::string& line) { return Status::Unavailable(line); }

}  // namespace

int RunStation(const DaemonConfig& config) {
  if (Status s = ValidateConfig(config); !s.ok()) {
    spdlog::critical("bad configuration: {}", s.ToString());
    return 1;
  }
  auto stop_fd = OpenStopSignalFd();
  if (!stop_fd.ok()) {
    spdlog::critical("{}", stop_fd.status().ToString());
    return 1;
  }
  auto station = Station::Open(config, *stop_fd);
  if (!station.ok()) {
    spdlog::critical("{}", station.status().message());
    ::close(*stop_fd);
    return 1;
  }
  Status run = (*station)->Run();
  station->reset();
  ::close(*stop_fd);
  if (!run.ok()) {
    spdlog::error("stationd stopped on error: {}", run.ToString());
    return 1;
  }
  spdlog::info("stationd stopped cleanly");
  return 0;
}

Result<std::unique_ptr<Station>> Station::Open(const DaemonConfig& config, int stop_fd) {
  std::unique_ptr<Station> station(new Station(config, stop_fd));
  for (auto step : {&Station::OpenStorage, &Station::OpenSecurity, &Station::BindSockets, &Station::WriteRunFile,
                    &Station::StartServices, &Station::StartMetrics}) {
    if (Status s = (station.get()->*step)(); !s.ok()) return s;
  }
  spdlog::info("stationd started station={} data_dir={} ingest={} control={}", config.ingest.station,
               config.data_dir, station->ingest_->endpoint(), station->control_->endpoint());
  return station;
}

Station::~Station() = default;

Status Station::OpenStorage() {
  ::mkdir(config_.data_dir.c_str(), 0750);
  auto lock = DataDirLock::Acquire(config_.data_dir);
  if (!lock.ok()) return StartFailure("cannot start: " + lock.status().ToString());
  lock_.emplace(std::move(*lock));
  // A station that has run before and lost its key pair must not make a
  // new one quietly: every dock and national would refuse it, and nobody
  // would know why. The operator restores the key, or makes a new one.
  existing_station_ = ::access(DatabasePath(config_.data_dir).c_str(), F_OK) == 0;
  // stationd.json left behind means the last run did not stop cleanly.
  const bool unclean = FindLeftoverRunInfo(config_.data_dir);
  auto store = Store::Open(DatabasePath(config_.data_dir), config_.db);
  if (!store.ok()) return StartFailure("cannot open the station database: " + store.status().ToString());
  store_ = std::move(*store);
  if (unclean) {
    // After a crash or power loss, check the file before trusting it
    // (RELIABILITY.md §4); a damaged one is kept for forensics, not used.
    auto check = store_->db().QueryText("PRAGMA quick_check");
    if (!check.ok() || *check != "ok") {
      return StartFailure("station database failed its check after an unclean stop: " +
                          (check.ok() ? *check : check.status().ToString()) + "; keep the file and restore a backup");
    }
    DropWaybillIndex(config_.data_dir);
    spdlog::warn("the last run did not stop cleanly; database checked: ok; rebuilding the waybill index");
  }
  if (config_.db.synchronous != "FULL") {
    spdlog::warn("synchronous={}: acknowledged scans may be lost on power loss (test setting)", config_.db.synchronous);
  }
  return Status::OK();
}

// Security first: the ZAP handler is bound before any CURVE server binds
// (RFC 27), and the station's key pair is made on the first start.
Status Station::OpenSecurity() {
  ingest_options_ = config_.ingest;
  ingest_options_.disk.path = config_.data_dir;  // the volume that holds station.db and its WAL
  uplink_options_ = config_.uplink;
  if (config_.insecure) {
    spdlog::warn("--insecure: the dock port and the national link are NOT authenticated or encrypted; "
                 "development only");
    return Status::OK();
  }
  if (Status s = security::CheckLibzmqForCurve(); !s.ok()) return StartFailure("cannot start: " + s.ToString());
  return LoadKeys();
}

Status Station::LoadKeys() {
  bool created = false;
  const std::string key_dir = config_.data_dir + "/keys";
  if (existing_station_ && ::access((key_dir + "/station.key_secret").c_str(), F_OK) != 0) {
    return StartFailure("cannot start: " + key_dir +
                        "/station.key_secret is missing, but this station has run before: restore it from a backup "
                        "of the data folder, or make a new pair (stationctl keys create station --out " +
                        key_dir + ") and enroll it at national and give it to every dock");
  }
  auto own = security::LoadOrCreateKeyPair(key_dir, "station", "station " + config_.ingest.station, &created);
  if (!own.ok()) return StartFailure("cannot start: " + own.status().ToString());
  if (created) {
    spdlog::warn("created this station's key pair in {}; give {}/station.key to national to enroll "
                 "(stationctl keys enroll FILE --station {}) and to every dock (scanner-dock --station-key)",
                 key_dir, key_dir, config_.ingest.station);
  }
  auto started = security::ZapHandler::Start(
      context_, security::KeyStorePath(config_.data_dir),
      [this](const std::string& gun, const std::string& key, const std::vector<std::string>& admitted_from) {
        CloseConnectionsOf(gun, key, admitted_from);
      });
  if (!started.ok()) return StartFailure("cannot start: " + started.status().ToString());
  zap_ = std::move(*started);
  if (!security::IsIpcEndpoint(ingest_options_.endpoint)) {
    ingest_options_.security = {true, own->secret_key, security::kGunDomain};
  }
  if (!uplink_options_.endpoint.empty() && !security::IsIpcEndpoint(uplink_options_.endpoint)) {
    auto national_key = security::ReadPublicKey(config_.national_key);
    if (!national_key.ok()) return StartFailure("cannot start: --national-key: " + national_key.status().ToString());
    uplink_options_.security = {true, *national_key, *own};
  }
  return Status::OK();
}

void Station::CloseConnectionsOf(const std::string& gun, const std::string& key,
                                 const std::vector<std::string>& admitted_from) {
  const int closed = sessions_.Close(key);
  spdlog::warn("security: closed {} connection(s) of gun {}", closed, LogText(gun));
  // Its connections idle since their handshake are not named yet: those
  // from where the key was let in go, and any other gun's among them
  // reconnects at once (RELIABILITY.md T11: closed within 2 s).
  const int idle = sessions_.CloseUnnamed(admitted_from);
  if (idle == 0) return;
  std::string from;
  for (const std::string& address : admitted_from) from += (from.empty() ? "" : ",") + address;
  spdlog::warn("security: closed {} connection(s) from {} that had sent nothing yet, as gun {}'s may be among them",
               idle, from, gun);
}

// The clerk's control socket, then the docks' port, whose loop serves both.
Status Station::BindSockets() {
  // Absolute, so stationctl finds the socket from any working directory.
  const std::string control_endpoint =
      config_.control.empty() ? "ipc://" +
                                    std::filesystem::absolute(config_.data_dir).lexically_normal().string() +
                                    "/control.sock"
                              : config_.control;
  auto control = ControlServer::Start(context_, *store_, config_.ingest.station, control_endpoint, clerk_services_);
  if (!control.ok()) return StartFailure("cannot start: " + control.status().ToString());
  control_ = std::move(*control);
  IngestHooks hooks;
  hooks.served.push_back({&control_->socket(), [this] { control_->HandleWaiting(); }});
  hooks.after_commit = [this] { AfterCommit(); };
  hooks.each_pass = [this] { notifier_.Alive(); };
  hooks.zap = zap_.get();
  hooks.sessions = &sessions_;
  auto ingest = IngestServer::Start(context_, *store_, ingest_options_, std::move(hooks));
  if (!ingest.ok()) return StartFailure("cannot start: " + ingest.status().ToString());
  ingest_ = std::move(*ingest);
  return Status::OK();
}

// The run file is on disk before anything unsynced (the waybill index) is
// written, so a power loss from here on is seen as an unclean stop.
Status Station::WriteRunFile() {
  run_info_ = RunInfo{static_cast<int>(::getpid()), config_.ingest.station, ingest_->endpoint(),
                      control_->endpoint(), NowMs()};
  if (Status s = WriteRunInfo(config_.data_dir, run_info_); !s.ok()) return StartFailure("cannot start: " + s.ToString());
  run_file_.emplace(config_.data_dir);
  return Status::OK();
}

Status Station::StartServices() {
  const std::string db_path = DatabasePath(config_.data_dir);
  auto indexer = WaybillIndexer::Open(db_path, WaybillIndexPath(config_.data_dir));
  if (!indexer.ok()) return StartFailure("cannot open the waybill index: " + indexer.status().ToString());
  index_thread_ = std::make_unique<IndexThread>(std::move(*indexer), std::chrono::milliseconds(200));
  if (!uplink_options_.endpoint.empty()) {
    auto uplink = Uplink::Start(context_, config_.ingest.station, db_path, uplink_options_, config_.db.vfs);
    if (!uplink.ok()) return StartFailure("cannot start the national uplink: " + uplink.status().ToString());
    uplink_ = std::move(*uplink);
    clerk_services_.uplink = uplink_.get();
  }
  ReconcilerOptions reconcile_options = config_.reconcile;
  reconcile_options.settings.station = config_.ingest.station;
  // A prune and a reconciliation run never overlap (retention.h).
  prune_gate_ = std::make_shared<PruneGate>();
  reconcile_options.prune_gate = prune_gate_;
  auto reconciler = Reconciler::Start(db_path, reconcile_options, config_.db.vfs);
  if (!reconciler.ok()) return StartFailure("cannot start reconciliation: " + reconciler.status().ToString());
  reconciler_ = std::move(*reconciler);
  clerk_services_.reconciler = reconciler_.get();
  ProblemDeskOptions desk_options = config_.problems;
  desk_options.settings.station = config_.ingest.station;
  auto desk = ProblemDesk::Start(db_path, desk_options, config_.db.vfs);
  if (!desk.ok()) return StartFailure("cannot start the problem desk: " + desk.status().ToString());
  desk_ = std::move(*desk);
  clerk_services_.problem_desk = desk_.get();
  clerk_services_.problem_settings = desk_options.settings;
  pruner_ = std::make_unique<Pruner>(db_path, config_.db.vfs, config_.retention_days, !uplink_options_.endpoint.empty(),
                                     prune_gate_);
  clerk_services_.pruner = pruner_.get();
  return Status::OK();
}

// Started last, so a scrape sees the waybill index; the figures come from
// its own read-only connection, never from the writer's.
Status Station::StartMetrics() {
  if (config_.metrics.listen.empty()) return Status::OK();
  auto metrics = MetricsServer::Start(config_.metrics, config_.data_dir, config_.ingest.station, run_info_.started_ms,
                                      [up = uplink_.get()]() -> std::optional<UplinkStatus> {
                                        if (!up) return std::nullopt;
                                        return up->Report();
                                      });
  if (!metrics.ok()) return StartFailure("cannot start: " + metrics.status().ToString());
  metrics_ = std::move(*metrics);
  spdlog::info("metrics: Prometheus figures at http://{}/metrics", metrics_->address());
  run_info_.metrics = metrics_->address();  // logged first: whoever reads the run file finds the line in the log
  if (Status s = WriteRunInfo(config_.data_dir, run_info_); !s.ok()) return StartFailure("cannot start: " + s.ToString());
  return Status::OK();
}

void Station::AfterCommit() {
  index_thread_->Wake();
  if (uplink_) uplink_->Wake();
  desk_->Wake();
}

// systemd (Type=notify): ready only now, with the database open and every
// socket bound; the watchdog is fed from the ingest loop itself, so a stuck
// loop stops the pings and systemd restarts stationd.
Status Station::Run() {
  notifier_.Ready("serving station " + config_.ingest.station + ": docks on " + ingest_->endpoint());
  Status run = ingest_->Run(stop_fd_);
  notifier_.Stopping(run.ok() ? "stopping" : "stopping on error: " + run.ToString());
  return run;
}

}  // namespace station
