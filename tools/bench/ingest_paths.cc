#include "tools/bench/ingest_paths.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "scanner/batch_file.h"
#include "sql/sqlite.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The naive loader's table (DESIGN's scan record, stored the obvious way).
constexpr const char* kNaiveSchema = R"sql(
CREATE TABLE scans (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, batch TEXT NOT NULL, seq INTEGER NOT NULL,
  courier TEXT NOT NULL, station TEXT NOT NULL, waybill TEXT, bag TEXT, type TEXT NOT NULL,
  scan_time TEXT NOT NULL, scan_time_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL, peer_station TEXT,
  weight_g INTEGER, reason TEXT, note TEXT, line INTEGER NOT NULL,
  UNIQUE (device, batch, seq));
CREATE INDEX scans_by_waybill ON scans (waybill);
)sql";

// Writes each gun's files into a spool folder of its own under `dir`;
// returns the folders, and adds the rows written to `rows`.
Result<std::vector<std::string>> WriteSpools(const IngestConfig& config,
                                             const std::vector<std::vector<std::string>>& files,
                                             const std::string& dir, const std::string& tag, std::int64_t& rows) {
  std::vector<std::string> spools;
  for (int g = 0; g < config.guns; ++g) {
    spools.push_back(dir + "/spool-" + tag + "-gun" + std::to_string(g + 1));
    std::error_code error;
    std::filesystem::create_directories(spools.back(), error);
    if (error) return Status::IOError("create " + spools.back(), error.message());
    for (std::size_t f = 0; f < files[g].size(); ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "/%04zu.csv", f + 1);
      if (Status s = WriteFileAtomically(spools.back() + name, files[g][f]); !s.ok()) return s;
      rows += config.rows;
    }
  }
  return spools;
}

// The command line of each gun's scanner-dock.
std::vector<std::vector<std::string>> DockArgvs(const IngestConfig& config, const std::vector<std::string>& spools,
                                                const std::string& endpoint, Link link, const StationKeys& keys) {
  const std::string part_rows = std::to_string(config.part_rows);
  std::vector<std::vector<std::string>> argvs;
  for (int g = 0; g < config.guns; ++g) {
    std::vector<std::string> argv{config.dock, "--once", "--spool", spools[g], "--station", endpoint,
                                  "--part-rows", part_rows};
    if (link == Link::kCurve) {
      argv.insert(argv.end(), {"--station-key", keys.station_public, "--key", keys.gun_secrets[g]});
    } else {
      argv.push_back("--insecure");
    }
    argvs.push_back(std::move(argv));
  }
  return argvs;
}

// Waits until every dock has exited; kUnavailable at `deadline`.
Status WaitForDocks(std::vector<ChildProcess>& docks, SteadyClock::time_point deadline, int timeout_s) {
  for (;;) {
    bool any = false;
    for (ChildProcess& dock : docks) any = dock.Running() || any;
    if (!any) return Status::OK();
    if (SteadyClock::now() >= deadline) {
      return Status::Unavailable("dock path", "scanner-dock did not finish within " + std::to_string(timeout_s) +
                                                  " s");
    }
    std::this_thread::sleep_for(1ms);
  }
}

// Waits until stationd's waybill index has caught up; kUnavailable at `deadline`.
Status WaitForIndex(const std::string& data_dir, SteadyClock::time_point deadline) {
  for (;;) {
    auto done = IndexCaughtUp(data_dir);
    if (!done.ok()) return done.status();
    if (*done) return Status::OK();
    if (SteadyClock::now() >= deadline) return Status::Unavailable("dock path", "the waybill index did not catch up");
    std::this_thread::sleep_for(2ms);
  }
}

}  // namespace

const char* LinkName(Link link) { return link == Link::kCurve ? "curve" : "insecure"; }

std::string Device(int g) {
  char device[32];
  std::snprintf(device, sizeof device, "PDA-%04d", g + 1);
  return device;
}

Result<BaselineFigures> MeasureBaseline(const IngestConfig& config, const std::vector<std::string>& files,
                                        const std::string& dir) {
  BaselineFigures figures;
  // Parsing is timed on its own: the reference is the cost of storing.
  SteadyClock::time_point start = SteadyClock::now();
  std::vector<Batch> batches;
  batches.reserve(files.size());
  for (const std::string& text : files) {
    auto batch = ReadBatch(text);
    if (!batch.ok()) return batch.status();
    if (!batch->problems.empty()) return Status::InvalidArgument("generated file", batch->problems[0].reason);
    figures.rows += static_cast<std::int64_t>(batch->rows.size());
    batches.push_back(std::move(*batch));
  }
  figures.parse_s = Seconds(SteadyClock::now() - start);

  // Same settings as stationd (sql::Db::Open defaults: WAL, synchronous=FULL).
  // The naive schema: one table with the gun's names on every row, the
  // exactly-once key, and an index on waybill so a parcel can be found: what
  // stationd offers too, though it keeps the waybill index off the ack path.
  auto db = sql::Db::Open(dir + "/baseline.db");
  if (!db.ok()) return db.status();
  if (Status s = db->Exec(kNaiveSchema); !s.ok()) return s;
  auto insert = sql::Stmt::Prepare(
      *db,
      "INSERT INTO scans (device, batch, seq, courier, station, waybill, bag, type, scan_time, scan_time_ms,"
      " received_ms, peer_station, weight_g, reason, note, line)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  if (!insert.ok()) return insert.status();

  start = SteadyClock::now();
  for (const Batch& batch : batches) {
    const BatchOrigin& origin = batch.origin;
    for (std::size_t first = 0; first < batch.rows.size(); first += static_cast<std::size_t>(config.part_rows)) {
      const std::size_t end = std::min(batch.rows.size(), first + static_cast<std::size_t>(config.part_rows));
      auto txn = sql::Txn::Begin(*db);
      if (!txn.ok()) return txn.status();
      const std::int64_t received_ms = NowMs();
      for (std::size_t i = first; i < end; ++i) {
        const Scan& scan = batch.rows[i].scan;
        sql::Stmt& ins = *insert;
        ins.Reset();
        ins.Bind(1, origin.device).Bind(2, origin.batch).Bind(3, scan.seq).Bind(4, origin.courier);
        ins.Bind(5, origin.station).BindTextOrNull(6, scan.waybill).BindTextOrNull(7, scan.bag);
        ins.Bind(8, ScanTypeKey(scan.type)).Bind(9, scan.time).Bind(10, scan.time_ms).Bind(11, received_ms);
        ins.BindTextOrNull(12, scan.peer_station).BindOptional(13, scan.weight_g);
        if (scan.reason) ins.Bind(14, ProblemReasonKey(*scan.reason));
        ins.BindTextOrNull(15, scan.note).Bind(16, std::int64_t{batch.rows[i].line});
        if (Status s = ins.Run(); !s.ok()) return s;
      }
      if (Status s = txn->Commit(); !s.ok()) return s;
    }
  }
  figures.insert_s = Seconds(SteadyClock::now() - start);

  auto stored = db->QueryInt("SELECT count(*) FROM scans");
  if (!stored.ok()) return stored.status();
  if (*stored != figures.rows) {
    return Status::IOError("baseline", "stored " + std::to_string(*stored) + " of " + std::to_string(figures.rows));
  }
  return figures;
}

// With kCurve the keys are provisioned (not timed) before stationd starts,
// and each dock authenticates with its gun's key; with kInsecure both run
// with --insecure.
Result<DockFigures> MeasureDockPath(const IngestConfig& config, const std::vector<std::vector<std::string>>& files,
                                    const std::string& dir, Link link) {
  const std::string tag = LinkName(link);
  const std::string data_dir = dir + "/dock-station-" + tag;
  StationKeys keys;
  if (link == Link::kCurve) {
    std::vector<std::string> devices;
    for (int g = 0; g < config.guns; ++g) devices.push_back(Device(g));
    auto made = ProvisionKeys(data_dir, devices, dir + "/gun-keys");
    if (!made.ok()) return made.status();
    keys = std::move(*made);
  }
  auto station = StartStation(config.stationd, data_dir, dir + "/dock-stationd-" + tag + ".log", {}, link);
  if (!station.ok()) return station.status();

  DockFigures figures;
  auto spools = WriteSpools(config, files, dir, tag, figures.rows);
  if (!spools.ok()) return spools.status();
  const std::vector<std::vector<std::string>> argvs = DockArgvs(config, *spools, station->endpoint, link, keys);
  std::vector<ChildProcess> docks;
  const auto dock_log = [&](int g) { return dir + "/dock-" + tag + "-gun" + std::to_string(g + 1) + ".log"; };
  const SteadyClock::time_point start = SteadyClock::now();
  for (int g = 0; g < config.guns; ++g) {
    auto dock = ChildProcess::Start(argvs[g], dock_log(g));
    if (!dock.ok()) return dock.status();
    docks.push_back(std::move(*dock));
  }
  const SteadyClock::time_point deadline = start + std::chrono::seconds(config.timeout_s);
  if (Status s = WaitForDocks(docks, deadline, config.timeout_s); !s.ok()) return s;
  figures.seconds = Seconds(SteadyClock::now() - start);

  for (int g = 0; g < config.guns; ++g) {
    if (docks[g].ExitCode() != 0) {
      return Status::IOError("scanner-dock (" + tag + ") for gun " + std::to_string(g + 1),
                             "exited with " + std::to_string(docks[g].ExitCode()) + "; see " + dock_log(g));
    }
  }
  auto stored = CountScans(station->data_dir);
  if (!stored.ok()) return stored.status();
  if (*stored != figures.rows) {
    return Status::IOError("dock path (" + tag + ")", "database holds " + std::to_string(*stored) + " scans, expected " +
                                            std::to_string(figures.rows));
  }
  if (Status s = WaitForIndex(station->data_dir, deadline); !s.ok()) return s;
  figures.indexed_seconds = Seconds(SteadyClock::now() - start);
  station->process.Stop(5s);
  return figures;
}

}  // namespace station::bench
