// bench_ingest: durable ingest throughput and dock-to-ack latency
// (docs/performance.md). Three measurements in one run, on one machine:
//  1. a naive loader: prepared inserts into a fresh database with stationd's
//     schema and durability, one transaction per part of a batch;
//  2. the whole dock path: gun files in spool folders, real scanner-dock
//     processes (one a gun, all at once), a real stationd, until every dock
//     has had every part acknowledged (so committed);
//  3. dock-to-ack latency: client threads, one DEALER each, sending batch
//     messages one at a time and timing send -> ack.
// It prints each figure and the ratio of (2) to (1).

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <zmq.hpp>

#include "daemon/ingest_server.h"
#include "daemon/run_file.h"
#include "daemon/schema.h"
#include "daemon/sqlite.h"
#include "scanner/batch_file.h"
#include "scanner/wire.h"
#include "tools/bench/bench_support.h"

namespace station::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kStation = "571001";
constexpr double kTargetRatio = 1.5;
constexpr double kTargetP99Ms = 15.0;

struct BenchConfig {
  std::string stationd = BENCH_STATIOND_PATH;
  std::string dock = BENCH_SCANNER_DOCK_PATH;
  int guns = 4;
  int files = 50;      // per gun
  int rows = 1000;     // per file
  int part_rows = 1000;  // rows a transaction in the loader, a message from the dock
  int latency_batches = 200;  // per gun
  int latency_scans = 500;
  int timeout_s = 120;  // for each measurement
  bool keep = false;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The gun files of the throughput runs: gun g (0-based), file f.
std::string ThroughputFile(const BenchConfig& config, int g, int f) {
  char device[32], batch[32];
  std::snprintf(device, sizeof device, "PDA-%04d", g + 1);
  std::snprintf(batch, sizeof batch, "20261124-%04d", f + 1);
  return MakeGunFile({device, "C" + std::to_string(1001 + g), kStation, batch, config.rows,
                      static_cast<std::uint64_t>(g) * 100003 + static_cast<std::uint64_t>(f) + 1});
}

// ---- 1. The naive loader -------------------------------------------------

struct BaselineFigures {
  double parse_s = 0;
  double insert_s = 0;
  std::int64_t rows = 0;
};

Result<BaselineFigures> MeasureBaseline(const BenchConfig& config, const std::vector<std::string>& files,
                                        const TempDir& dir) {
  BaselineFigures figures;
  // Parsing is timed on its own: the reference is the cost of storing.
  Clock::time_point start = Clock::now();
  std::vector<Batch> batches;
  batches.reserve(files.size());
  for (const std::string& text : files) {
    auto batch = ReadBatch(text);
    if (!batch.ok()) return batch.status();
    if (!batch->problems.empty()) return Status::InvalidArgument("generated file", batch->problems[0].reason);
    figures.rows += static_cast<std::int64_t>(batch->rows.size());
    batches.push_back(std::move(*batch));
  }
  figures.parse_s = Seconds(Clock::now() - start);

  // Same settings as stationd (sql::Db::Open defaults: WAL, synchronous=FULL)
  // and the same schema, so the same indexes are kept up to date.
  auto db = sql::Db::Open(dir.Path("baseline.db"));
  if (!db.ok()) return db.status();
  if (Status s = MigrateSchema(*db); !s.ok()) return s;
  auto insert = sql::Stmt::Prepare(
      *db,
      "INSERT INTO scans (device, batch, seq, courier, station, waybill, bag, type, scan_time, scan_time_ms,"
      " received_ms, peer_station, weight_g, reason, note, line, digest)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!insert.ok()) return insert.status();

  start = Clock::now();
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
        ins.Bind(17, static_cast<std::int64_t>(scan.Digest(origin)));
        if (Status s = ins.Run(); !s.ok()) return s;
      }
      if (Status s = txn->Commit(); !s.ok()) return s;
    }
  }
  figures.insert_s = Seconds(Clock::now() - start);

  auto stored = db->QueryInt("SELECT count(*) FROM scans");
  if (!stored.ok()) return stored.status();
  if (*stored != figures.rows) {
    return Status::IOError("baseline", "stored " + std::to_string(*stored) + " of " + std::to_string(figures.rows));
  }
  return figures;
}

// ---- stationd ------------------------------------------------------------

struct Station {
  Child process;
  std::string data_dir;
  std::string endpoint;
};

// Starts stationd on tcp://127.0.0.1:* over a fresh `data_dir` and waits
// (at most 10 s) until it says where it listens.
Result<Station> StartStation(const BenchConfig& config, const std::string& data_dir, const std::string& log) {
  std::filesystem::create_directories(data_dir);
  auto child = Child::Start({config.stationd, "--station", kStation, "--data-dir", data_dir, "--ingest",
                             "tcp://127.0.0.1:*"},
                            log);
  if (!child.ok()) return child.status();
  const Clock::time_point deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    auto info = FindRunningDaemon(data_dir);
    if (info.ok() && info->pid == child->pid() && !info->ingest.empty()) {
      return Station{std::move(*child), data_dir, info->ingest};
    }
    if (!child->Running()) {
      return Status::Unavailable("stationd", "exited at start with " + std::to_string(child->ExitCode()) + "; see " +
                                                 log);
    }
    std::this_thread::sleep_for(2ms);
  }
  return Status::Unavailable("stationd", "not listening within 10 s; see " + log);
}

Result<std::int64_t> CountScans(const std::string& data_dir) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) return db.status();
  return db->QueryInt("SELECT count(*) FROM scans");
}

// ---- 2. The whole dock path ----------------------------------------------

struct DockFigures {
  double seconds = 0;
  std::int64_t rows = 0;
};

Result<DockFigures> MeasureDockPath(const BenchConfig& config, const std::vector<std::vector<std::string>>& files,
                                    const TempDir& dir) {
  auto station = StartStation(config, dir.Path("dock-station"), dir.Path("dock-stationd.log"));
  if (!station.ok()) return station.status();

  DockFigures figures;
  std::vector<std::string> spools;
  for (int g = 0; g < config.guns; ++g) {
    spools.push_back(dir.Path("spool-gun" + std::to_string(g + 1)));
    std::filesystem::create_directories(spools.back());
    for (std::size_t f = 0; f < files[g].size(); ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "/%04zu.csv", f + 1);
      if (Status s = WriteFileAtomically(spools.back() + name, files[g][f]); !s.ok()) return s;
      figures.rows += config.rows;
    }
  }

  const std::string part_rows = std::to_string(config.part_rows);
  std::vector<Child> docks;
  const Clock::time_point start = Clock::now();
  for (int g = 0; g < config.guns; ++g) {
    auto dock = Child::Start({config.dock, "--once", "--spool", spools[g], "--station", station->endpoint,
                              "--part-rows", part_rows},
                             dir.Path("dock-gun" + std::to_string(g + 1) + ".log"));
    if (!dock.ok()) return dock.status();
    docks.push_back(std::move(*dock));
  }
  const Clock::time_point deadline = start + std::chrono::seconds(config.timeout_s);
  for (;;) {
    bool any = false;
    for (Child& dock : docks) any = dock.Running() || any;
    if (!any) break;
    if (Clock::now() >= deadline) {
      return Status::Unavailable("dock path", "scanner-dock did not finish within " +
                                                  std::to_string(config.timeout_s) + " s");
    }
    std::this_thread::sleep_for(1ms);
  }
  figures.seconds = Seconds(Clock::now() - start);

  for (int g = 0; g < config.guns; ++g) {
    if (docks[g].ExitCode() != 0) {
      return Status::IOError("scanner-dock for gun " + std::to_string(g + 1),
                             "exited with " + std::to_string(docks[g].ExitCode()) + "; see " +
                                 dir.Path("dock-gun" + std::to_string(g + 1) + ".log"));
    }
  }
  auto stored = CountScans(station->data_dir);
  if (!stored.ok()) return stored.status();
  if (*stored != figures.rows) {
    return Status::IOError("dock path", "database holds " + std::to_string(*stored) + " scans, expected " +
                                            std::to_string(figures.rows));
  }
  station->process.Stop(5s);
  return figures;
}

// ---- 3. Dock-to-ack latency ----------------------------------------------

struct GunLatency {
  std::vector<double> ms;
  std::string error;  // empty when every batch was acknowledged as stored
};

// One gun: sends `bodies` one at a time over its own DEALER and times each
// from send to ack. bodies[0] is a warm-up (connection set up), not timed.
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
      if (i == 1) {  // warmed up: wait until every gun is, then go together
        ready.fetch_add(1);
        counted = true;
        while (!go.load()) std::this_thread::sleep_for(100us);
      }
      const std::string req = "gun" + std::to_string(gun) + "-" + std::to_string(i);
      const std::string header = EncodeBatchHeader({req, 0});
      const Clock::time_point sent = Clock::now();
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
      const Clock::time_point acked = Clock::now();
      auto ack = DecodeBatchAck(reply.to_string_view());
      if (!ack.ok() || !ack->ok || ack->req != req || ack->accepted != scans) {
        out.error = "bad ack for " + req + ": " + std::string(reply.to_string_view().substr(0, 200));
        break;
      }
      if (i > 0) out.ms.push_back(Millis(acked - sent));
    }
  } catch (const zmq::error_t& e) {
    out.error = std::string("zmq: ") + e.what();
  }
  if (!counted) ready.fetch_add(1);  // failed while warming up: don't hold the others
}

struct LatencyFigures {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t batches = 0;
};

double Percentile(const std::vector<double>& sorted, double p) {
  // Nearest rank: the smallest value with at least p% of values at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

Result<LatencyFigures> MeasureLatency(const BenchConfig& config, const TempDir& dir) {
  // Generated before the clock starts: each batch is new (its own device and
  // batch), so every one is stored, not answered as a duplicate.
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(config.guns));
  for (int g = 0; g < config.guns; ++g) {
    char device[32];
    std::snprintf(device, sizeof device, "PDA-L%03d", g + 1);
    for (int b = 0; b <= config.latency_batches; ++b) {
      char batch[32];
      std::snprintf(batch, sizeof batch, "20261125-%04d", b);
      bodies[g].push_back(MakeGunFile({device, "C2001", kStation, batch, config.latency_scans,
                                       static_cast<std::uint64_t>(g) * 7919 + static_cast<std::uint64_t>(b) + 7}));
    }
  }

  auto station = StartStation(config, dir.Path("latency-station"), dir.Path("latency-stationd.log"));
  if (!station.ok()) return station.status();
  zmq::context_t context(1);
  std::vector<GunLatency> results(static_cast<std::size_t>(config.guns));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int g = 0; g < config.guns; ++g) {
    threads.emplace_back(RunGun, std::ref(context), std::cref(station->endpoint), g + 1, std::cref(bodies[g]),
                         config.latency_scans, std::ref(ready), std::cref(go), std::ref(results[g]));
  }
  const Clock::time_point deadline = Clock::now() + 10s;
  while (ready.load() < config.guns && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  go.store(true);
  for (std::thread& t : threads) t.join();

  LatencyFigures figures;
  std::vector<double> all;
  for (int g = 0; g < config.guns; ++g) {
    if (!results[g].error.empty()) return Status::IOError("latency gun " + std::to_string(g + 1), results[g].error);
    all.insert(all.end(), results[g].ms.begin(), results[g].ms.end());
  }
  if (all.empty()) return Status::IOError("latency", "no batch was timed");
  std::sort(all.begin(), all.end());
  figures.p50 = Percentile(all, 50);
  figures.p99 = Percentile(all, 99);
  figures.max = all.back();
  figures.batches = all.size();
  auto stored = CountScans(station->data_dir);
  if (!stored.ok()) return stored.status();
  const std::int64_t expected = std::int64_t{config.guns} * (config.latency_batches + 1) * config.latency_scans;
  if (*stored != expected) {
    return Status::IOError("latency", "database holds " + std::to_string(*stored) + " scans, expected " +
                                          std::to_string(expected));
  }
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
      ("latency-batches", po::value(&config.latency_batches)->default_value(config.latency_batches),
       "timed batches a gun (latency)")
      ("latency-scans", po::value(&config.latency_scans)->default_value(config.latency_scans),
       "scans a batch (latency)")
      ("timeout-s", po::value(&config.timeout_s)->default_value(config.timeout_s),
       "give up a measurement after this long")
      ("keep", po::bool_switch(&config.keep), "keep the temp folder (databases, logs) and print its path");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "bench_ingest: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (config.guns < 1 || config.guns > 64 || config.files < 1 || config.rows < 1 || config.rows > 1'000'000 ||
      config.part_rows < 1 || config.part_rows > 50'000 || config.latency_batches < 1 || config.latency_scans < 1 ||
      config.latency_scans > 20'000 || config.timeout_s < 1) {
    std::cerr << "bench_ingest: --guns 1-64, --rows 1-1000000, --part-rows 1-50000, --latency-scans 1-20000, "
                 "other counts at least 1 (see --help)\n";
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
  const std::int64_t total = std::int64_t{config.guns} * config.files * config.rows;
  std::cout << "bench_ingest: " << config.guns << " guns x " << config.files << " files x " << config.rows
            << " rows = " << WithThousands(total) << " rows, " << config.part_rows
            << " rows a transaction/message; temp " << dir->path() << "\n";

  std::vector<std::vector<std::string>> files(static_cast<std::size_t>(config.guns));
  std::vector<std::string> all_files;
  for (int g = 0; g < config.guns; ++g) {
    for (int f = 0; f < config.files; ++f) files[g].push_back(ThroughputFile(config, g, f));
    all_files.insert(all_files.end(), files[g].begin(), files[g].end());
  }

  auto baseline = MeasureBaseline(config, all_files, *dir);
  if (!baseline.ok()) {
    std::cerr << "bench_ingest: baseline: " << baseline.status().ToString() << "\n";
    return 1;
  }
  const double baseline_rate = static_cast<double>(baseline->rows) / baseline->insert_s;
  std::cout << "baseline naive loader: " << WithThousands(static_cast<std::int64_t>(baseline_rate)) << " rows/s  ("
            << WithThousands(baseline->rows) << " rows in " << Fixed(baseline->insert_s, 2) << " s; parsing, not "
            << "counted, took " << Fixed(baseline->parse_s, 2) << " s)\n"
            << std::flush;
  all_files.clear();

  auto dock = MeasureDockPath(config, files, *dir);
  if (!dock.ok()) {
    std::cerr << "bench_ingest: dock path: " << dock.status().ToString() << "\n";
    dir->keep();
    std::cerr << "bench_ingest: logs kept in " << dir->path() << "\n";
    return 1;
  }
  const double dock_rate = static_cast<double>(dock->rows) / dock->seconds;
  const double ratio = dock_rate / baseline_rate;
  std::cout << "dock path (" << config.guns << " guns, scanner-dock -> stationd): "
            << WithThousands(static_cast<std::int64_t>(dock_rate)) << " rows/s  ratio " << Fixed(ratio, 2)
            << "x  (" << WithThousands(dock->rows) << " rows in " << Fixed(dock->seconds, 2) << " s; target >= "
            << Fixed(kTargetRatio, 1) << "x)\n"
            << std::flush;
  files.clear();

  auto latency = MeasureLatency(config, *dir);
  if (!latency.ok()) {
    std::cerr << "bench_ingest: latency: " << latency.status().ToString() << "\n";
    dir->keep();
    std::cerr << "bench_ingest: logs kept in " << dir->path() << "\n";
    return 1;
  }
  std::cout << "dock-to-ack " << config.latency_scans << "-scan batch, " << config.guns << " guns at once: p50 "
            << Fixed(latency->p50, 1) << " ms  p99 " << Fixed(latency->p99, 1) << " ms  max "
            << Fixed(latency->max, 1) << " ms  (" << latency->batches << " batches; target p99 < "
            << Fixed(kTargetP99Ms, 0) << " ms)\n";

  const bool ratio_met = ratio >= kTargetRatio;
  const bool p99_met = latency->p99 < kTargetP99Ms;
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
