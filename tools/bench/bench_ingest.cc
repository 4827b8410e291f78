// bench_ingest: durable ingest throughput and dock-to-ack latency
// (docs/performance.md). Three measurements in one run, on one machine:
//  1. a naive loader: prepared inserts into a fresh database with stationd's
//     schema and durability, one transaction per part of a batch;
//  2. the whole dock path: gun files in spool folders, real scanner-dock
//     processes (one a gun, all at once), a real stationd, until every dock
//     has had every part acknowledged (so committed). As shipped, with CURVE
//     (each gun's key enrolled, the station's key given to the docks), and
//     the same with --insecure, so that CURVE's cost is measured against a
//     baseline in the same run;
//  3. dock-to-ack latency (bench_latency.h), --insecure.
// 1 and 2 alternate for a few rounds on fresh databases; the medians and the
// median of the rounds' ratios are reported, so that one round disturbed by
// other work on the machine does not decide the figure.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "core/command_line.h"
#include "core/clock.h"
#include "sql/sqlite.h"
#include "scanner/batch_file.h"
#include "tools/bench/bench_latency.h"
#include "tools/bench/bench_support.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr double kTargetRatio = 1.5;
constexpr double kTargetP99Ms = 15.0;

struct BenchConfig {
  std::string stationd = BENCH_STATIOND_PATH;
  std::string dock = BENCH_SCANNER_DOCK_PATH;
  int guns = 4;
  int files = 50;             // per gun
  int rows = 1000;            // per file
  int part_rows = 1000;       // rows a transaction in the loader, a message from the dock
  int rounds = 3;             // of measurements 1 and 2
  int latency_batches = 200;  // per gun
  int latency_scans = 500;
  int timeout_s = 120;  // for each dock-path round
  bool insecure_only = false;  // --insecure: the dock path without CURVE only, as before issue 6
  bool keep = false;
};

std::string Rate(double rows_per_s) { return WithThousands(static_cast<std::int64_t>(rows_per_s)) + " rows/s"; }

const char* LinkName(Link link) { return link == Link::kCurve ? "curve" : "insecure"; }

// The device of gun g (0-based): the device= of its files, the name its key
// is enrolled under.
std::string Device(int g) {
  char device[32];
  std::snprintf(device, sizeof device, "PDA-%04d", g + 1);
  return device;
}

// The gun files of the throughput runs: gun g (0-based), file f.
std::string ThroughputFile(const BenchConfig& config, int g, int f) {
  char batch[32];
  std::snprintf(batch, sizeof batch, "20261124-%04d", f + 1);
  return MakeGunFile({Device(g), "C" + std::to_string(1001 + g), kStationCode, batch, config.rows,
                      static_cast<std::uint64_t>(g) * 100003 + static_cast<std::uint64_t>(f) + 1});
}

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

// ---- 1. The naive loader -------------------------------------------------

struct BaselineFigures {
  double parse_s = 0;
  double insert_s = 0;
  std::int64_t rows = 0;
};

Result<BaselineFigures> MeasureBaseline(const BenchConfig& config, const std::vector<std::string>& files,
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

// ---- 2. The whole dock path ----------------------------------------------

struct DockFigures {
  double seconds = 0;          // until every scan is acknowledged (the ack path)
  double indexed_seconds = 0;  // until the waybill index has caught up too
  std::int64_t rows = 0;
};

// With kCurve the keys are provisioned (not timed) before stationd starts,
// and each dock authenticates with its gun's key; with kInsecure both run
// with --insecure.
Result<DockFigures> MeasureDockPath(const BenchConfig& config, const std::vector<std::vector<std::string>>& files,
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
      figures.rows += config.rows;
    }
  }

  const std::string part_rows = std::to_string(config.part_rows);
  std::vector<ChildProcess> docks;
  std::vector<std::vector<std::string>> argvs;
  for (int g = 0; g < config.guns; ++g) {
    std::vector<std::string> argv{config.dock, "--once", "--spool", spools[g], "--station", station->endpoint,
                                  "--part-rows", part_rows};
    if (link == Link::kCurve) {
      argv.insert(argv.end(), {"--station-key", keys.station_public, "--key", keys.gun_secrets[g]});
    } else {
      argv.push_back("--insecure");
    }
    argvs.push_back(std::move(argv));
  }
  const auto dock_log = [&](int g) { return dir + "/dock-" + tag + "-gun" + std::to_string(g + 1) + ".log"; };
  const SteadyClock::time_point start = SteadyClock::now();
  for (int g = 0; g < config.guns; ++g) {
    auto dock = ChildProcess::Start(argvs[g], dock_log(g));
    if (!dock.ok()) return dock.status();
    docks.push_back(std::move(*dock));
  }
  const SteadyClock::time_point deadline = start + std::chrono::seconds(config.timeout_s);
  for (;;) {
    bool any = false;
    for (ChildProcess& dock : docks) any = dock.Running() || any;
    if (!any) break;
    if (SteadyClock::now() >= deadline) {
      return Status::Unavailable("dock path", "scanner-dock did not finish within " +
                                                  std::to_string(config.timeout_s) + " s");
    }
    std::this_thread::sleep_for(1ms);
  }
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
  for (;;) {
    auto done = IndexCaughtUp(station->data_dir);
    if (!done.ok()) return done.status();
    if (*done) break;
    if (SteadyClock::now() >= deadline) return Status::Unavailable("dock path", "the waybill index did not catch up");
    std::this_thread::sleep_for(2ms);
  }
  figures.indexed_seconds = Seconds(SteadyClock::now() - start);
  station->process.Stop(5s);
  return figures;
}

// ---- main ----------------------------------------------------------------

namespace po = boost::program_options;

// Exit codes: 0 targets met, 1 a measurement failed, 2 usage, 3 a target missed.
int Main(int argc, char** argv) {
  BenchConfig config;
  po::options_description desc(
      "bench_ingest: durable ingest through the whole dock path against a naive loader, and dock-to-ack\n"
      "latency (docs/performance.md). Runs a real stationd and real scanner-dock processes on 127.0.0.1,\n"
      "in a temp folder under /tmp that is removed at the end.\n\n"
      "Usage: bench_ingest [options]\n"
      "Exit: 0 all targets met, 1 a measurement failed, 2 bad arguments, 3 a target missed.\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("stationd", po::value(&config.stationd)->default_value(config.stationd), "the stationd program")
      ("dock", po::value(&config.dock)->default_value(config.dock), "the scanner-dock program")
      ("guns", po::value(&config.guns)->default_value(config.guns), "guns docking at once (1-64)")
      ("files", po::value(&config.files)->default_value(config.files), "batch files a gun (throughput)")
      ("rows", po::value(&config.rows)->default_value(config.rows), "scans a batch file (throughput)")
      ("part-rows", po::value(&config.part_rows)->default_value(config.part_rows),
       "rows a loader transaction and a dock message")
      ("rounds", po::value(&config.rounds)->default_value(config.rounds),
       "rounds of loader and dock path (1-20); medians are reported")
      ("latency-batches", po::value(&config.latency_batches)->default_value(config.latency_batches),
       "timed batches a gun (latency)")
      ("latency-scans", po::value(&config.latency_scans)->default_value(config.latency_scans),
       "scans a batch (latency)")
      ("timeout-s", po::value(&config.timeout_s)->default_value(config.timeout_s),
       "give up a dock-path round after this long")
      ("insecure", po::bool_switch(&config.insecure_only),
       "measure the dock path without CURVE only (stationd and scanner-dock --insecure), as before the security\n"
       "work; by default both are measured, CURVE (as shipped, held to the target) and --insecure, and their\n"
       "ratio printed")
      ("keep", po::bool_switch(&config.keep), "keep the temp folder (databases, logs) and print its path");
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "bench_ingest", desc, vm)) return *exit_code;
  if (config.guns < 1 || config.guns > 64 || config.files < 1 || config.rows < 1 || config.rows > 1'000'000 ||
      config.part_rows < 1 || config.part_rows > 50'000 || config.rounds < 1 || config.rounds > 20 ||
      config.latency_batches < 1 || config.latency_scans < 1 || config.latency_scans > 20'000 ||
      config.timeout_s < 1) {
    std::cerr << "bench_ingest: --guns 1-64, --rows 1-1000000, --part-rows 1-50000, --rounds 1-20, "
                 "--latency-scans 1-20000, other counts at least 1 (see --help)\n";
    return 2;
  }
  for (const std::string* program : {&config.stationd, &config.dock}) {
    if (::access(program->c_str(), X_OK) != 0) {
      std::cerr << "bench_ingest: cannot run " << *program << " (see --stationd, --dock)\n";
      return 2;
    }
  }

  auto dir = TempDir::Create("bench_ingest");
  if (!dir.ok()) {
    std::cerr << "bench_ingest: " << dir.status().ToString() << "\n";
    return 1;
  }
  if (config.keep) dir->keep();
  const char* guns_word = config.guns == 1 ? " gun" : " guns";
  const std::int64_t total = std::int64_t{config.guns} * config.files * config.rows;
  std::cout << "bench_ingest: " << config.guns << guns_word << " x " << config.files << " files x " << config.rows
            << " rows = " << WithThousands(total) << " rows, " << config.part_rows
            << " rows a transaction/message, " << config.rounds << " rounds; temp " << dir->path() << "\n"
            << std::flush;

  std::vector<std::vector<std::string>> files(static_cast<std::size_t>(config.guns));
  std::vector<std::string> all_files;
  for (int g = 0; g < config.guns; ++g) {
    for (int f = 0; f < config.files; ++f) files[g].push_back(ThroughputFile(config, g, f));
    all_files.insert(all_files.end(), files[g].begin(), files[g].end());
  }

  // The dock paths to measure; the first is held to the target. By default
  // CURVE (as shipped) and --insecure, taken in turns first within a round,
  // so that neither always runs on a machine warmed or disturbed by the other.
  std::vector<Link> links{Link::kCurve, Link::kInsecure};
  if (config.insecure_only) links = {Link::kInsecure};
  struct PathFigures {
    std::vector<double> rates, indexed_rates, ratios;  // ratios: to the loader of the same round
  };
  std::vector<PathFigures> paths(links.size());
  std::vector<double> baseline_rates, curve_costs;
  for (int round = 1; round <= config.rounds; ++round) {
    const std::string round_dir = dir->Path("round" + std::to_string(round));
    std::error_code error;
    std::filesystem::create_directories(round_dir, error);
    if (error) return Fail("bench_ingest", *dir, "create " + round_dir, Status::IOError(error.message()));
    auto baseline = MeasureBaseline(config, all_files, round_dir);
    if (!baseline.ok()) return Fail("bench_ingest", *dir, "baseline", baseline.status());
    baseline_rates.push_back(static_cast<double>(baseline->rows) / baseline->insert_s);
    std::cout << "  round " << round << ": naive loader " << Rate(baseline_rates.back()) << " ("
              << Fixed(baseline->insert_s, 2) << " s; parsing, not counted, " << Fixed(baseline->parse_s, 2) << " s)";

    std::vector<std::size_t> order(links.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i + static_cast<std::size_t>(round - 1)) % order.size();
    for (std::size_t i : order) {
      auto dock = MeasureDockPath(config, files, round_dir, links[i]);
      if (!dock.ok()) return Fail("bench_ingest", *dir, std::string("dock path, ") + LinkName(links[i]), dock.status());
      PathFigures& path = paths[i];
      path.rates.push_back(static_cast<double>(dock->rows) / dock->seconds);
      path.indexed_rates.push_back(static_cast<double>(dock->rows) / dock->indexed_seconds);
      path.ratios.push_back(path.rates.back() / baseline_rates.back());
      std::cout << ", dock path " << (links[i] == Link::kCurve ? "CURVE " : "insecure ") << Rate(path.rates.back())
                << " (" << Fixed(dock->seconds, 2) << " s; waybill index caught up at "
                << Fixed(dock->indexed_seconds, 2) << " s) " << Fixed(path.ratios.back(), 2) << "x";
    }
    if (links.size() == 2) {
      curve_costs.push_back(paths[0].rates.back() / paths[1].rates.back());
      std::cout << ", CURVE/insecure " << Fixed(curve_costs.back(), 2) << "x";
    }
    std::cout << "\n" << std::flush;
    if (!config.keep) std::filesystem::remove_all(round_dir, error);
  }
  files.clear();
  all_files.clear();
  const double ratio = Median(paths[0].ratios);
  std::cout << "baseline naive loader: " << Rate(Median(baseline_rates)) << "\n";
  for (std::size_t i = 0; i < links.size(); ++i) {
    const PathFigures& path = paths[i];
    std::cout << "dock path"
              << (links[i] == Link::kCurve ? ", CURVE as shipped (" : ", --insecure, no CURVE (") << config.guns
              << guns_word << ", scanner-dock -> stationd): " << Rate(Median(path.rates)) << "  ratio "
              << Fixed(Median(path.ratios), 2) << "x  (medians of " << config.rounds << " rounds"
              << (i == 0 ? "; target >= " + Fixed(kTargetRatio, 1) + "x)\n" : "; not a target)\n")
              << "  counting until the background waybill index has caught up: " << Rate(Median(path.indexed_rates))
              << "  ratio " << Fixed(Median(path.indexed_rates) / Median(baseline_rates), 2) << "x\n";
  }
  if (links.size() == 2) {
    std::cout << "CURVE cost: CURVE dock path / insecure dock path " << Fixed(Median(curve_costs), 2)
              << "x  (median of the rounds' ratios)\n";
  }
  std::cout << std::flush;

  auto latency = MeasureLatency({config.stationd, config.guns, config.latency_batches, config.latency_scans},
                                dir->path());
  if (!latency.ok()) return Fail("bench_ingest", *dir, "latency", latency.status());
  std::cout << "dock-to-ack " << config.latency_scans << "-scan batch, " << config.guns << guns_word
            << " at once, --insecure: p50 " << Fixed(latency->p50_ms, 1) << " ms  p99 " << Fixed(latency->p99_ms, 1)
            << " ms  max " << Fixed(latency->max_ms, 1) << " ms  (" << latency->batches
            << " batches into a database growing to " << WithThousands(latency->stored) << " scans; target p99 < "
            << Fixed(kTargetP99Ms, 0) << " ms)\n"
            << "  p99 by quarter of the run:";
  for (int q = 0; q < 4; ++q) {
    std::cout << (q ? ", " : " ") << Fixed(latency->quarter_p99_ms[q], 1) << " ms (to "
              << WithThousands(latency->quarter_stored[q]) << " scans)";
  }
  std::cout << "\n";

  const bool ratio_met = ratio >= kTargetRatio;
  const bool p99_met = latency->p99_ms < kTargetP99Ms;
  std::cout << "targets: throughput " << (ratio_met ? "met" : "MISSED") << ", latency "
            << (p99_met ? "met" : "MISSED") << "\n";
  if (config.keep) std::cout << "kept " << dir->path() << "\n";
  return ratio_met && p99_met ? 0 : 3;
}

}  // namespace
}  // namespace station::bench

int main(int argc, char** argv) {
  try {
    return station::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_ingest: " << e.what() << "\n";
    return 1;
  }
}
