// bench_reconcile: the reconciliation engine against the sqlite3 shell
// (issue 4, docs/performance.md). In one run, on one machine:
//  1. generation (fixed seed, not counted): --manifest-rows waybills
//     manifested to station 571001 in bags of about 30, plus as many rows
//     manifested to other stations as there are misrouted parcels; one
//     parcel-level arrival scan at 571001 for every manifested parcel except
//     the missing ones, for each misrouted parcel and for each surplus
//     waybill (one in no manifest). Both inputs are shuffled.
//  2. the engine: reconcile::Classify over those vectors, in this process;
//     its counts must be the generated ones.
//  3. the baseline: the same rows in a fresh SQLite file with the obvious
//     indexed layout (kSchema), and the sqlite3 shell run as a child for
//     each of three ways to ask for the missing parcels (kQueries). Each run
//     warms a 1 GiB page cache by reading both tables and both indexes,
//     then times the query alone with `.timer on`; the figure is its "real"
//     time. Each query's count must be the engine's.
// 2 and 3 alternate for --rounds rounds; medians are reported, and the
// ratio of the best query's median to the engine's.
//  4. the station (reconcile_station.h): the same rows in a real
//     station.db; `stationctl reconcile` against a real stationd, the full
//     first run, then --station-rounds incremental runs each after a dock
//     of --new-scans scans.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/program_options.hpp>

#include "sql/sqlite.h"
#include "reconcile/engine.h"
#include "reconcile/ledger.h"
#include "reconcile/waybill_key.h"
#include "core/command_line.h"
#include "tools/bench/bench_support.h"
#include "tools/bench/reconcile_station.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rc = station::reconcile;

constexpr double kTargetEngineMs = 300;  // for 1,000,000 x 1,000,000
constexpr double kTargetRatio = 5;
constexpr double kTargetFullS = 3;             // stationctl reconcile, 1,000,000 x 1,000,000
constexpr double kTargetIncrementalMs = 100;   // a run after 10,000 new scans
constexpr std::int32_t kStation = 571001;
constexpr std::int64_t kNowMs = 1795564800000;  // 2026-11-25T00:00:00Z
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

struct BenchConfig {
  std::string sqlite3 = "/usr/bin/sqlite3";
  std::int64_t manifest_rows = 1'000'000;  // to kStation
  double missing_pct = 3;                  // of manifest_rows: never scanned
  double surplus_pct = 1;                  // of manifest_rows: scanned, in no manifest
  double misrouted_pct = 0.5;              // of manifest_rows: scanned, manifested elsewhere
  std::uint64_t seed = 20261125;
  int rounds = 5;
  int timeout_s = 300;  // for each sqlite3 run
  bool keep = false;
  // 4. the station phase (reconcile_station.h)
  bool station_phase = true;
  int station_rounds = 3;
  int new_scans = 10'000;
  std::string stationd = BENCH_STATIOND_PATH, stationctl = BENCH_STATIONCTL_PATH, dock = BENCH_SCANNER_DOCK_PATH;
};

std::string Ms(double seconds) { return Fixed(seconds * 1000, 1) + " ms"; }

// ---- 1. Generation ---------------------------------------------------------

// The two inputs, with the waybill text of every row (for SQLite) and what
// the engine must find in them.
struct Data {
  std::vector<rc::ManifestItem> manifest;
  std::vector<std::string> manifest_text;
  std::vector<rc::SeenItem> seen;
  std::vector<std::string> seen_text;
  rc::BagId bag_count = 0;
  rc::BagId bags_to_station = 0;
  std::int64_t expected[rc::kKindCount] = {};
  std::int64_t expected_bag_missing_parcels = 0;  // missing parcels whose whole bag is missing
};

std::int64_t Percent(std::int64_t n, double pct) { return std::llround(static_cast<double>(n) * pct / 100); }

// Distinct carrier-form waybill numbers ("ZT" and 13 digits).
class WaybillSource {
 public:
  explicit WaybillSource(std::mt19937_64& rng) : rng_(rng) {}
  std::string Next() {
    std::uniform_int_distribution<std::uint64_t> digits(0, 9'999'999'999'999ULL);
    for (;;) {
      const std::uint64_t n = digits(rng_);
      if (!used_.insert(n).second) continue;
      char text[16];
      std::snprintf(text, sizeof text, "ZT%013llu", static_cast<unsigned long long>(n));
      return text;
    }
  }

 private:
  std::mt19937_64& rng_;
  std::unordered_set<std::uint64_t> used_;
};

// Six-digit station codes other than kStation, distinct.
std::vector<std::int32_t> StationCodes(std::mt19937_64& rng, int count) {
  std::uniform_int_distribution<std::int32_t> code(100000, 999999);
  std::vector<std::int32_t> codes;
  while (static_cast<int>(codes.size()) < count) {
    const std::int32_t c = code(rng);
    if (c != kStation && std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  }
  return codes;
}

Data Generate(const BenchConfig& config) {
  std::mt19937_64 rng(config.seed);
  WaybillSource waybills(rng);
  const std::vector<std::int32_t> origins = StationCodes(rng, 50);
  const std::vector<std::int32_t> elsewhere = StationCodes(rng, 20);  // misrouted parcels' destinations
  std::uniform_int_distribution<std::size_t> pick_origin(0, origins.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_elsewhere(0, elsewhere.size() - 1);
  std::uniform_int_distribution<std::int64_t> dispatched(kNowMs - 5 * kDayMs, kNowMs - 2 * kDayMs);
  std::uniform_int_distribution<std::int64_t> bag_size(25, 35);

  Data data;
  const std::int64_t n = config.manifest_rows;
  const std::int64_t misrouted = Percent(n, config.misrouted_pct);
  data.manifest.reserve(static_cast<std::size_t>(n + misrouted));
  data.manifest_text.reserve(static_cast<std::size_t>(n + misrouted));
  // Bags of 25-35 parcels, each from one origin at one time, to `dest`.
  const auto add_bags = [&](std::int64_t parcels, const auto& dest) {
    for (std::int64_t done = 0; done < parcels;) {
      const std::int64_t size = std::min(bag_size(rng), parcels - done);
      const rc::BagId bag = ++data.bag_count;
      const std::int32_t origin = origins[pick_origin(rng)];
      const std::int32_t to = dest();
      const std::int64_t at = dispatched(rng);
      for (std::int64_t i = 0; i < size; ++i) {
        data.manifest_text.push_back(waybills.Next());
        data.manifest.push_back({0, origin, to, at, bag});
      }
      done += size;
    }
  };
  add_bags(n, [] { return kStation; });
  data.bags_to_station = data.bag_count;
  add_bags(misrouted, [&] { return elsewhere[pick_elsewhere(rng)]; });

  // Which parcels to kStation never arrive: the first `missing` of a shuffle.
  const std::int64_t missing = Percent(n, config.missing_pct);
  std::vector<std::uint32_t> order(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::uint8_t> arrives(static_cast<std::size_t>(n), 1);
  for (std::int64_t i = 0; i < missing; ++i) arrives[order[static_cast<std::size_t>(i)]] = 0;

  // A bag is wholly missing when none of its parcels arrives.
  std::vector<std::int32_t> bag_parcels(data.bag_count + std::size_t{1}), bag_arrived(data.bag_count + std::size_t{1});
  for (std::int64_t i = 0; i < n; ++i) {
    const rc::BagId bag = data.manifest[static_cast<std::size_t>(i)].bag;
    ++bag_parcels[bag];
    bag_arrived[bag] += arrives[static_cast<std::size_t>(i)];
  }
  for (rc::BagId b = 1; b <= data.bags_to_station; ++b) {
    if (bag_arrived[b] == 0) {
      ++data.expected[static_cast<int>(rc::Kind::kMissingBag)];
      data.expected_bag_missing_parcels += bag_parcels[b];
    }
  }

  // Arrival scans: the manifested parcels that arrive, the misrouted ones
  // (every row to elsewhere) and the surplus ones.
  const std::int64_t surplus = Percent(n, config.surplus_pct);
  for (std::size_t i = 0; i < data.manifest.size(); ++i) {
    if (i < static_cast<std::size_t>(n) && !arrives[i]) continue;
    data.seen_text.push_back(data.manifest_text[i]);
  }
  for (std::int64_t i = 0; i < surplus; ++i) data.seen_text.push_back(waybills.Next());
  data.expected[static_cast<int>(rc::Kind::kMissing)] = missing;
  data.expected[static_cast<int>(rc::Kind::kSurplus)] = surplus;
  data.expected[static_cast<int>(rc::Kind::kMisrouted)] = misrouted;

  // Neither the national manifest nor the scans come sorted by waybill.
  std::vector<std::size_t> perm(data.manifest.size());
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<rc::ManifestItem> manifest(perm.size());
  std::vector<std::string> manifest_text(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    manifest[i] = data.manifest[perm[i]];
    manifest_text[i] = std::move(data.manifest_text[perm[i]]);
  }
  data.manifest = std::move(manifest);
  data.manifest_text = std::move(manifest_text);
  std::shuffle(data.seen_text.begin(), data.seen_text.end(), rng);
  data.seen.resize(data.seen_text.size());
  for (std::size_t i = 0; i < data.seen.size(); ++i) {
    data.seen[i].type = rc::SeenType::kArrival;
    data.seen[i].scan_id = static_cast<std::int64_t>(i) + 1;
  }
  return data;
}

// Packs every waybill text into its key; the seconds it took. kInvalidArgument
// when a text has no key or its key does not give the text back.
Result<double> PackKeys(Data& data) {
  const SteadyClock::time_point start = SteadyClock::now();
  for (std::size_t i = 0; i < data.manifest.size(); ++i) {
    auto key = rc::PackWaybill(data.manifest_text[i]);
    if (!key) return Status::InvalidArgument("pack " + data.manifest_text[i]);
    data.manifest[i].waybill = *key;
  }
  for (std::size_t i = 0; i < data.seen.size(); ++i) {
    auto key = rc::PackWaybill(data.seen_text[i]);
    if (!key) return Status::InvalidArgument("pack " + data.seen_text[i]);
    data.seen[i].waybill = *key;
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  for (std::size_t i = 0; i < data.manifest.size(); i += 997) {
    if (rc::UnpackWaybill(data.manifest[i].waybill) != data.manifest_text[i]) {
      return Status::InvalidArgument("unpack " + data.manifest_text[i], "not the same text");
    }
  }
  return seconds;
}

// ---- 2. The engine ---------------------------------------------------------

rc::Config EngineConfig() {
  rc::Config config;
  config.station = kStation;
  config.now_ms = kNowMs;  // grace_ms: the default 24 h
  return config;
}

// The counts of `report` against the generated ones; kIOError naming the first that differs.
Status CheckReport(const Data& data, std::int64_t manifest_rows, const rc::Report& report) {
  for (int k = 0; k < rc::kKindCount; ++k) {
    if (report.counts[k] != data.expected[k]) {
      return Status::IOError(std::string("engine count of ") + rc::KindName(static_cast<rc::Kind>(k)),
                             std::to_string(report.counts[k]) + ", generated " + std::to_string(data.expected[k]));
    }
  }
  const std::int64_t missing = data.expected[static_cast<int>(rc::Kind::kMissing)];
  std::int64_t bag_missing = 0;
  for (const rc::Discrepancy& d : report.items) bag_missing += d.kind == rc::Kind::kMissing && d.bag_missing;
  if (report.manifest_to_station != manifest_rows || report.arrived != manifest_rows - missing ||
      report.within_grace != 0 || bag_missing != data.expected_bag_missing_parcels) {
    return Status::IOError("engine totals",
                           "to station " + std::to_string(report.manifest_to_station) + ", arrived " +
                               std::to_string(report.arrived) + ", within grace " +
                               std::to_string(report.within_grace) + ", in a missing bag " +
                               std::to_string(bag_missing) + "; generated " + std::to_string(manifest_rows) + ", " +
                               std::to_string(manifest_rows - missing) + ", 0, " +
                               std::to_string(data.expected_bag_missing_parcels));
  }
  return Status::OK();
}

// ---- 3. The sqlite3 shell --------------------------------------------------

// The obvious layout: the manifest keyed by its waybill text (a rowid table
// and SQLite's automatic unique index), the scans keyed by their id with an
// index on waybill. ANALYZE runs after loading.
constexpr const char* kSchema =
    "CREATE TABLE manifest (waybill TEXT PRIMARY KEY, origin_station INTEGER NOT NULL, "
    "dest_station INTEGER NOT NULL, dispatched_at INTEGER NOT NULL, bag INTEGER NOT NULL);"
    "CREATE TABLE arrivals (scan_id INTEGER PRIMARY KEY, waybill TEXT NOT NULL, bag INTEGER NOT NULL, "
    "scan_type TEXT NOT NULL);";
constexpr const char* kLayout =
    "manifest(waybill TEXT PRIMARY KEY, origin_station, dest_station, dispatched_at, bag): rowid table + "
    "its automatic unique index on waybill; arrivals(scan_id INTEGER PRIMARY KEY, waybill, bag, scan_type) + "
    "INDEX arrivals_waybill ON arrivals(waybill); ANALYZE";

struct Query {
  const char* name;
  const char* sql;  // ?C: the grace cutoff (now - 24 h, in ms)
};

// The waybills manifested to 571001, past the grace period, with no arrival.
const Query kQueries[] = {
    {"EXCEPT",
     "SELECT waybill FROM manifest WHERE dest_station = 571001 AND dispatched_at <= ?C "
     "EXCEPT SELECT waybill FROM arrivals"},
    {"LEFT JOIN ... IS NULL",
     "SELECT m.waybill FROM manifest m LEFT JOIN arrivals a ON a.waybill = m.waybill "
     "WHERE m.dest_station = 571001 AND m.dispatched_at <= ?C AND a.waybill IS NULL"},
    {"NOT EXISTS",
     "SELECT m.waybill FROM manifest m WHERE m.dest_station = 571001 AND m.dispatched_at <= ?C "
     "AND NOT EXISTS (SELECT 1 FROM arrivals a WHERE a.waybill = m.waybill)"},
};
constexpr int kQueryCount = sizeof kQueries / sizeof kQueries[0];

// The query counting its rows, the cutoff written in.
std::string CountSql(const Query& query) {
  std::string sql = query.sql;
  const std::string cutoff = std::to_string(kNowMs - kDayMs);
  sql.replace(sql.find("?C"), 2, cutoff);
  return "SELECT count(*) FROM (" + sql + ")";
}

// Writes the rows into a fresh `path` and returns the seconds it took.
Result<double> WriteDatabase(const Data& data, const std::string& path) {
  const SteadyClock::time_point start = SteadyClock::now();
  sql::OpenOptions options;
  options.synchronous = "OFF";  // a scratch file
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  if (Status s = db->Exec("PRAGMA cache_size = -1048576"); !s.ok()) return s;
  if (Status s = db->Exec(kSchema); !s.ok()) return s;
  {
    auto txn = sql::Txn::Begin(*db);
    if (!txn.ok()) return txn.status();
    auto insert = sql::Stmt::Prepare(*db,
                                     "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, bag) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return insert.status();
    for (std::size_t i = 0; i < data.manifest.size(); ++i) {
      const rc::ManifestItem& m = data.manifest[i];
      insert->Reset();
      insert->Bind(1, data.manifest_text[i])
          .Bind(2, std::int64_t{m.origin_station})
          .Bind(3, std::int64_t{m.dest_station})
          .Bind(4, m.dispatched_ms)
          .Bind(5, std::int64_t{m.bag});
      if (Status s = insert->Run(); !s.ok()) return s;
    }
    auto scan = sql::Stmt::Prepare(
        *db, "INSERT INTO arrivals (scan_id, waybill, bag, scan_type) VALUES (?1, ?2, ?3, 'arrival')");
    if (!scan.ok()) return scan.status();
    for (std::size_t i = 0; i < data.seen.size(); ++i) {
      scan->Reset();
      scan->Bind(1, data.seen[i].scan_id).Bind(2, data.seen_text[i]).Bind(3, std::int64_t{data.seen[i].bag});
      if (Status s = scan->Run(); !s.ok()) return s;
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
  }
  if (Status s = db->Exec("CREATE INDEX arrivals_waybill ON arrivals (waybill); ANALYZE"); !s.ok()) return s;
  return Seconds(SteadyClock::now() - start);
}

// How SQLite plans `query`, as one line ("SCAN m; SEARCH a USING ...").
Result<std::string> QueryPlan(const std::string& path, const Query& query) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(path, read_only);
  if (!db.ok()) return db.status();
  const std::string sql = "EXPLAIN QUERY PLAN " + CountSql(query);
  auto plan = sql::Stmt::Prepare(*db, sql.c_str());
  if (!plan.ok()) return plan.status();
  std::string out;
  Status s = plan->ForEachRow([&](const sql::Stmt& row) { out += (out.empty() ? "" : "; ") + row.ColumnText(3); });
  if (!s.ok()) return s;
  return out;
}

struct ShellRun {
  double real_s = 0;  // `.timer on`: the query alone
  double cpu_s = 0;   // user + sys of the query
  double wall_s = 0;  // the whole sqlite3 process: start, warm-up, query
  std::int64_t count = -1;
};

// Runs the sqlite3 shell over `db_path` with a script that warms the page
// cache, then runs `query` timed. The script and its output live in `dir`.
Result<ShellRun> RunShell(const BenchConfig& config, const std::string& dir, const std::string& db_path,
                          int query_index) {
  const std::string script = dir + "/query" + std::to_string(query_index) + ".sql";
  const std::string out = dir + "/query" + std::to_string(query_index) + ".out";
  const std::string err = dir + "/query" + std::to_string(query_index) + ".err";
  {
    std::ofstream s(script, std::ios::trunc);
    s << "PRAGMA cache_size = -1048576;\n"
      << "PRAGMA temp_store = MEMORY;\n"
      // Warm-up: each table (sum(bag) is in no index) and each index (count(*) takes the smallest).
      << "SELECT sum(bag) FROM manifest;\nSELECT count(*) FROM manifest;\n"
      << "SELECT sum(bag) FROM arrivals;\nSELECT count(*) FROM arrivals;\n"
      << ".timer on\n"
      << CountSql(kQueries[query_index]) << ";\n";
    if (!s.flush()) return Status::IOError("write " + script);
  }
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  std::filesystem::remove(err, ignored);
  const SteadyClock::time_point start = SteadyClock::now();
  auto child = sim::ChildProcess::Start({config.sqlite3, "-batch", "-bail", db_path, ".read " + script}, out, err);
  if (!child.ok()) return child.status();
  const int code = child->Wait(std::chrono::seconds(config.timeout_s));
  ShellRun run;
  run.wall_s = Seconds(SteadyClock::now() - start);
  if (code == sim::ChildProcess::kTimedOut) {
    return Status::Unavailable(kQueries[query_index].name, "sqlite3 still running after " +
                                                               std::to_string(config.timeout_s) + " s");
  }
  if (code != 0) {
    return Status::IOError(kQueries[query_index].name, "sqlite3 exited with " + std::to_string(code) + "; see " + err);
  }
  // The query's count, then "Run Time: real 1.234 user 1.200000 sys 0.030000".
  std::ifstream in(out);
  std::string line, previous;
  bool timed = false;
  while (std::getline(in, line)) {
    double real = 0, user = 0, sys = 0;
    if (std::sscanf(line.c_str(), "Run Time: real %lf user %lf sys %lf", &real, &user, &sys) == 3) {
      run.real_s = real;
      run.cpu_s = user + sys;
      run.count = std::atoll(previous.c_str());
      timed = true;
    }
    previous = line;
  }
  if (!timed) return Status::IOError(kQueries[query_index].name, "no \"Run Time:\" line in " + out);
  return run;
}

// ---- main ------------------------------------------------------------------

// ---- 4. The station --------------------------------------------------------

// Runs the station phase and prints its figures; whether its targets were met.
Result<bool> MeasureStationPhase(const BenchConfig& config, const Data& data, TempDir& dir) {
  StationPhaseInput input{data.manifest, data.manifest_text, data.seen_text, {},
                          config.stationd, config.stationctl, config.dock, dir.Path("station-phase"),
                          config.station_rounds, config.new_scans, config.timeout_s};
  std::copy(std::begin(data.expected), std::end(data.expected), std::begin(input.expected));
  std::error_code error;
  std::filesystem::create_directories(input.dir, error);
  if (error) return Status::IOError("create " + input.dir, error.message());
  auto figures = MeasureStation(input);
  if (!figures.ok()) return figures.status();
  const double per_million = 1'000'000.0 / static_cast<double>(config.manifest_rows);
  const bool full_met = figures->full_wall_s * per_million < kTargetFullS;
  std::vector<double> run_ms(figures->incremental_run_ms.begin(), figures->incremental_run_ms.end());
  const double incremental_ms = Median(run_ms);
  const bool incremental_met = incremental_ms < kTargetIncrementalMs;
  std::cout << "station phase: station.db written in " << Fixed(figures->write_s, 1)
            << " s (not counted); stationd started with --reconcile-every-s 0, its waybill index caught up\n"
            << "  stationctl reconcile, first run (full): " << Fixed(figures->full_wall_s, 2)
            << " s from stationctl's start to its exit; stationd's own time " << figures->full_run_ms << " ms ("
            << figures->full_detail << "); target < " << Fixed(kTargetFullS, 0) << " s for 1,000,000 x 1,000,000\n";
  for (std::size_t r = 0; r < run_ms.size(); ++r) {
    std::cout << "  incremental run " << r + 1 << " after " << WithThousands(config.new_scans)
              << " new scans docked: stationd " << figures->incremental_run_ms[r] << " ms, stationctl "
              << Ms(figures->incremental_wall_s[r]) << " start to exit\n";
  }
  std::cout << "  incremental: " << Fixed(incremental_ms, 0) << " ms median of " << run_ms.size()
            << " (stationd's time for the run, as reconcile_runs records it); last: " << figures->incremental_detail
            << "; target < " << Fixed(kTargetIncrementalMs, 0) << " ms\n"
            << "targets: stationctl reconcile " << (full_met ? "met" : "MISSED") << ", incremental "
            << (incremental_met ? "met" : "MISSED") << "\n";
  return full_met && incremental_met;
}

namespace po = boost::program_options;

// Exit codes: 0 targets met, 1 a measurement or a count failed, 2 usage, 3 a target missed.
int Main(int argc, char** argv) {
  BenchConfig config;
  po::options_description desc(
      "bench_reconcile: the reconciliation engine (reconcile::Classify) against the sqlite3 shell's\n"
      "missing-parcel queries over the same rows in indexed tables (issue 4, docs/performance.md). The\n"
      "database lives in a temp folder under /tmp that is removed at the end.\n\n"
      "Usage: bench_reconcile [options]\n"
      "Exit: 0 all targets met, 1 a measurement or a count failed, 2 bad arguments, 3 a target missed.\n\n"
      "Options");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("manifest-rows", po::value(&config.manifest_rows)->default_value(config.manifest_rows),
       "waybills manifested to 571001")
      ("missing-pct", po::value(&config.missing_pct)->default_value(config.missing_pct),
       "% of them that never arrive")
      ("surplus-pct", po::value(&config.surplus_pct)->default_value(config.surplus_pct),
       "arrivals in no manifest, as a % of --manifest-rows")
      ("misrouted-pct", po::value(&config.misrouted_pct)->default_value(config.misrouted_pct),
       "arrivals manifested to another station (as many extra manifest rows), as a % of --manifest-rows")
      ("seed", po::value(&config.seed)->default_value(config.seed), "seed of the generator")
      ("rounds", po::value(&config.rounds)->default_value(config.rounds), "rounds of engine and queries (1-50)")
      ("sqlite3", po::value(&config.sqlite3)->default_value(config.sqlite3),
       "the sqlite3 shell (Debian package sqlite3; scripts/install-deps.sh)")
      ("timeout-s", po::value(&config.timeout_s)->default_value(config.timeout_s),
       "give up a sqlite3 run after this long")
      ("keep", po::bool_switch(&config.keep), "keep the temp folder (database, scripts, shell output)")
      ("no-station", "skip the station phase (a real stationd reconciling the same rows)")
      ("station-rounds", po::value(&config.station_rounds)->default_value(config.station_rounds),
       "incremental runs in the station phase (1-20)")
      ("new-scans", po::value(&config.new_scans)->default_value(config.new_scans),
       "scans docked before each incremental run (100-1000000)")
      ("stationd", po::value(&config.stationd)->default_value(config.stationd), "the stationd program")
      ("stationctl", po::value(&config.stationctl)->default_value(config.stationctl), "the stationctl program")
      ("dock", po::value(&config.dock)->default_value(config.dock), "the scanner-dock program");
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "bench_reconcile", desc, vm)) return *exit_code;
  const auto pct_ok = [](double pct) { return pct >= 0 && pct <= 100; };
  if (config.manifest_rows < 1 || config.manifest_rows > 100'000'000 || !pct_ok(config.missing_pct) ||
      !pct_ok(config.surplus_pct) || !pct_ok(config.misrouted_pct) || config.rounds < 1 || config.rounds > 50 ||
      config.timeout_s < 1 || config.station_rounds < 1 || config.station_rounds > 20 || config.new_scans < 100 ||
      config.new_scans > 1'000'000) {
    return UsageError("bench_reconcile",
                      "--manifest-rows 1-100000000, percentages 0-100, --rounds 1-50, --timeout-s at least 1,"
                      " --station-rounds 1-20, --new-scans 100-1000000");
  }
  config.station_phase = !vm.count("no-station");
  if (::access(config.sqlite3.c_str(), X_OK) != 0) {
    return UsageError("bench_reconcile", "cannot run " + config.sqlite3 +
                                             " (install the sqlite3 package: scripts/install-deps.sh; or --sqlite3)");
  }

  auto dir = TempDir::Create("bench_reconcile");
  if (!dir.ok()) {
    std::cerr << "bench_reconcile: " << dir.status().ToString() << "\n";
    return 1;
  }
  if (config.keep) dir->keep();

  SteadyClock::time_point start = SteadyClock::now();
  Data data = Generate(config);
  const double generated_s = Seconds(SteadyClock::now() - start);
  auto packed_s = PackKeys(data);
  if (!packed_s.ok()) return Fail("bench_reconcile", *dir, "generation", packed_s.status());
  const auto expected = [&](rc::Kind kind) { return WithThousands(data.expected[static_cast<int>(kind)]); };
  std::cout << "bench_reconcile: station " << kStation << ", " << WithThousands(config.manifest_rows)
            << " manifest rows to it + " << expected(rc::Kind::kMisrouted) << " to other stations ("
            << data.bags_to_station << " + " << data.bag_count - data.bags_to_station << " bags), "
            << WithThousands(static_cast<std::int64_t>(data.seen.size())) << " parcel-level arrival scans; seed "
            << config.seed << ", " << config.rounds << " rounds; temp " << dir->path() << "\n"
            << "  generated in " << Fixed(generated_s, 1) << " s (not counted): missing "
            << expected(rc::Kind::kMissing) << " (in wholly missing bags: " << data.expected_bag_missing_parcels
            << "), missing_bag " << expected(rc::Kind::kMissingBag) << ", surplus " << expected(rc::Kind::kSurplus)
            << ", misrouted " << expected(rc::Kind::kMisrouted)
            << ", duplicate_arrival 0; dispatched 2-5 days before now, grace 24 h\n"
            << "  " << WithThousands(static_cast<std::int64_t>(data.manifest.size() + data.seen.size()))
            << " waybill texts packed into keys (PackWaybill) in " << Ms(*packed_s) << " (not counted)\n"
            << std::flush;

  const std::string db_path = dir->Path("reconcile.db");
  auto written_s = WriteDatabase(data, db_path);
  if (!written_s.ok()) return Fail("bench_reconcile", *dir, "sqlite database", written_s.status());
  std::error_code error;
  const auto db_bytes = std::filesystem::file_size(db_path, error);
  std::cout << "  sqlite database written in " << Fixed(*written_s, 1) << " s (not counted), "
            << (error ? 0 : db_bytes >> 20) << " MiB: " << kLayout << "\n";
  for (int q = 0; q < kQueryCount; ++q) {
    auto plan = QueryPlan(db_path, kQueries[q]);
    if (!plan.ok()) return Fail("bench_reconcile", *dir, "query plan", plan.status());
    std::cout << "  plan of " << kQueries[q].name << ": " << *plan << "\n";
  }
  std::cout << "  sqlite3 runs: PRAGMA cache_size = -1048576 (1 GiB), temp_store = MEMORY; warm-up reading both "
               "tables and both indexes; then the query, SELECT count(*) FROM (...), timed by .timer on (real)\n"
            << std::flush;

  const rc::Config engine_config = EngineConfig();
  {
    const rc::Report warm = rc::Classify(data.manifest, data.seen, data.bag_count, engine_config);
    if (Status s = CheckReport(data, config.manifest_rows, warm); !s.ok()) return Fail("bench_reconcile", *dir, "engine", s);
  }
  const std::int64_t missing = data.expected[static_cast<int>(rc::Kind::kMissing)];
  std::vector<double> engine_s;
  std::vector<std::vector<double>> query_s(kQueryCount), query_wall_s(kQueryCount), query_cpu_s(kQueryCount);
  std::int64_t counts[rc::kKindCount] = {};
  for (int round = 1; round <= config.rounds; ++round) {
    start = SteadyClock::now();
    const rc::Report report = rc::Classify(data.manifest, data.seen, data.bag_count, engine_config);
    engine_s.push_back(Seconds(SteadyClock::now() - start));
    if (Status s = CheckReport(data, config.manifest_rows, report); !s.ok()) return Fail("bench_reconcile", *dir, "engine", s);
    std::copy(std::begin(report.counts), std::end(report.counts), std::begin(counts));
    std::string line = "  round " + std::to_string(round) + ": engine " + Ms(engine_s.back());
    for (int q = 0; q < kQueryCount; ++q) {
      auto run = RunShell(config, dir->path(), db_path, q);
      if (!run.ok()) return Fail("bench_reconcile", *dir, "sqlite3", run.status());
      if (run->count != missing) {
        return Fail("bench_reconcile", *dir, "sqlite3",
                    Status::IOError(kQueries[q].name, "counted " + std::to_string(run->count) +
                                                          " missing, the engine " + std::to_string(missing)));
      }
      query_s[q].push_back(run->real_s);
      query_cpu_s[q].push_back(run->cpu_s);
      query_wall_s[q].push_back(run->wall_s);
      line += std::string(", ") + kQueries[q].name + " " + Fixed(run->real_s, 3) + " s";
    }
    std::cout << line << "\n" << std::flush;
  }

  const double engine = Median(engine_s);
  int best = 0;
  for (int q = 1; q < kQueryCount; ++q) {
    if (Median(query_s[q]) < Median(query_s[best])) best = q;
  }
  const double ratio = Median(query_s[best]) / engine;
  std::cout << "engine (reconcile::Classify, " << WithThousands(static_cast<std::int64_t>(data.manifest.size()))
            << " manifest rows x " << WithThousands(static_cast<std::int64_t>(data.seen.size()))
            << " scans): " << Ms(engine) << " median of " << config.rounds << " (min "
            << Ms(*std::min_element(engine_s.begin(), engine_s.end())) << ", max "
            << Ms(*std::max_element(engine_s.begin(), engine_s.end())) << "; target < "
            << Fixed(kTargetEngineMs, 0) << " ms for 1,000,000 x 1,000,000)\n"
            << "  counts:";
  for (int k = 0; k < rc::kKindCount; ++k) {
    std::cout << " " << rc::KindName(static_cast<rc::Kind>(k)) << " " << WithThousands(counts[k]);
  }
  std::cout << " (as generated)\n"
            << "sqlite3 shell, medians of " << config.rounds << " (query alone, .timer real; cpu user+sys; the whole "
            << "process with start and warm-up), each counting " << WithThousands(missing) << " missing:\n";
  for (int q = 0; q < kQueryCount; ++q) {
    std::cout << "  " << kQueries[q].name << ": " << Fixed(Median(query_s[q]), 3) << " s (cpu "
              << Fixed(Median(query_cpu_s[q]), 3) << " s, process " << Fixed(Median(query_wall_s[q]), 3) << " s), "
              << Fixed(Median(query_s[q]) / engine, 1) << "x the engine\n";
  }
  std::cout << "best query " << kQueries[best].name << " " << Fixed(Median(query_s[best]), 3) << " s / engine "
            << Ms(engine) << " = " << Fixed(ratio, 1) << "x (target >= " << Fixed(kTargetRatio, 0) << "x)\n";
  const bool engine_met = engine * 1000 * 1'000'000.0 / static_cast<double>(config.manifest_rows) < kTargetEngineMs;
  const bool ratio_met = ratio >= kTargetRatio;
  std::cout << "targets: engine time " << (engine_met ? "met" : "MISSED") << ", ratio "
            << (ratio_met ? "met" : "MISSED") << "\n" << std::flush;
  {
    // The daemon's form of the engine (reconcile/ledger.h), built cold from
    // the same vectors: what a stationd's first run spends besides reading.
    start = SteadyClock::now();
    rc::Ledger ledger(engine_config);
    ledger.Load(data.manifest, data.seen);
    const double load_s = Seconds(SteadyClock::now() - start);
    const SteadyClock::time_point update_start = SteadyClock::now();
    const rc::LedgerChanges changes = ledger.Update(engine_config.now_ms);
    const double update_s = Seconds(SteadyClock::now() - update_start);
    const SteadyClock::time_point current_start = SteadyClock::now();
    const rc::Report current = ledger.Current();
    const double current_s = Seconds(SteadyClock::now() - current_start);
    if (Status s = CheckReport(data, config.manifest_rows, current); !s.ok()) return Fail("bench_reconcile", *dir, "ledger", s);
    std::cout << "ledger (reconcile::Ledger, the same rows, as a stationd's first run builds it): Load " << Ms(load_s)
              << ", first Update " << Ms(update_s) << " (" << WithThousands(static_cast<std::int64_t>(changes.found.size()))
              << " found), Current() " << Ms(current_s) << "\n" << std::flush;
  }
  bool station_met = true;
  if (config.station_phase) {
    auto station = MeasureStationPhase(config, data, *dir);
    if (!station.ok()) return Fail("bench_reconcile", *dir, "station phase", station.status());
    station_met = *station;
  }
  if (config.keep) std::cout << "kept " << dir->path() << "\n";
  return engine_met && ratio_met && station_met ? 0 : 3;
}

}  // namespace
}  // namespace station::bench

int main(int argc, char** argv) {
  try {
    return station::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_reconcile: " << e.what() << "\n";
    return 1;
  }
}
