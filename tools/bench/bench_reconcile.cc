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
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/command_line.h"
#include "reconcile/engine.h"
#include "reconcile/ledger.h"
#include "tools/bench/bench_support.h"
#include "tools/bench/reconcile_data.h"
#include "tools/bench/reconcile_sqlite.h"
#include "tools/bench/reconcile_station.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rc = station::reconcile;

constexpr double kTargetEngineMs = 300;  // for 1,000,000 x 1,000,000
constexpr double kTargetRatio = 5;
constexpr double kTargetFullS = 3;             // stationctl reconcile, 1,000,000 x 1,000,000
constexpr double kTargetIncrementalMs = 100;   // a run after 10,000 new scans

struct BenchConfig {
  std::string sqlite3 = "/usr/bin/sqlite3";
  DataSpec spec;  // 1. generation
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
  const double per_million = 1'000'000.0 / static_cast<double>(config.spec.manifest_rows);
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

// ---- 2 and 3, in rounds -------------------------------------------------------

struct RoundFigures {
  std::vector<double> engine_s;
  std::vector<std::vector<double>> query_s, query_wall_s, query_cpu_s;  // a query
  std::int64_t counts[rc::kKindCount] = {};                              // the engine's, last round
};

// Writes the sqlite database and prints it with the queries' plans; `failed`
// names what failed.
Status PrepareShell(const Data& data, const std::string& db_path, std::string& failed) {
  failed = "sqlite database";
  auto written_s = WriteDatabase(data, db_path);
  if (!written_s.ok()) return written_s.status();
  std::error_code error;
  const auto db_bytes = std::filesystem::file_size(db_path, error);
  std::cout << "  sqlite database written in " << Fixed(*written_s, 1) << " s (not counted), "
            << (error ? 0 : db_bytes >> 20) << " MiB: " << kLayout << "\n";
  failed = "query plan";
  for (int q = 0; q < kQueryCount; ++q) {
    auto plan = QueryPlan(db_path, kQueries[q]);
    if (!plan.ok()) return plan.status();
    std::cout << "  plan of " << kQueries[q].name << ": " << *plan << "\n";
  }
  std::cout << "  sqlite3 runs: PRAGMA cache_size = -1048576 (1 GiB), temp_store = MEMORY; warm-up reading both "
               "tables and both indexes; then the query, SELECT count(*) FROM (...), timed by .timer on (real)\n"
            << std::flush;
  return Status::OK();
}

// Times the engine, then each query in the sqlite3 shell, --rounds times,
// printing a line a round; `failed` names what failed.
Status MeasureRounds(const BenchConfig& config, const Data& data, const TempDir& dir, const std::string& db_path,
                     RoundFigures& figures, std::string& failed) {
  const rc::Config engine_config = EngineConfig();
  failed = "engine";
  {
    const rc::Report warm = rc::Classify(data.manifest, data.seen, data.bag_count, engine_config);
    if (Status s = CheckReport(data, config.spec.manifest_rows, warm); !s.ok()) return s;
  }
  const std::int64_t missing = data.expected[static_cast<int>(rc::Kind::kMissing)];
  figures.query_s.resize(kQueryCount);
  figures.query_wall_s.resize(kQueryCount);
  figures.query_cpu_s.resize(kQueryCount);
  for (int round = 1; round <= config.rounds; ++round) {
    const SteadyClock::time_point start = SteadyClock::now();
    const rc::Report report = rc::Classify(data.manifest, data.seen, data.bag_count, engine_config);
    figures.engine_s.push_back(Seconds(SteadyClock::now() - start));
    failed = "engine";
    if (Status s = CheckReport(data, config.spec.manifest_rows, report); !s.ok()) return s;
    std::copy(std::begin(report.counts), std::end(report.counts), std::begin(figures.counts));
    std::string line = "  round " + std::to_string(round) + ": engine " + Ms(figures.engine_s.back());
    failed = "sqlite3";
    for (int q = 0; q < kQueryCount; ++q) {
      auto run = RunShell(config.sqlite3, config.timeout_s, dir.path(), db_path, q);
      if (!run.ok()) return run.status();
      if (run->count != missing) {
        return Status::IOError(kQueries[q].name, "counted " + std::to_string(run->count) + " missing, the engine " +
                                                     std::to_string(missing));
      }
      figures.query_s[q].push_back(run->real_s);
      figures.query_cpu_s[q].push_back(run->cpu_s);
      figures.query_wall_s[q].push_back(run->wall_s);
      line += std::string(", ") + kQueries[q].name + " " + Fixed(run->real_s, 3) + " s";
    }
    std::cout << line << "\n" << std::flush;
  }
  return Status::OK();
}

// The medians of the rounds, against the targets; whether both were met.
bool PrintEngineAgainstShell(const BenchConfig& config, const Data& data, const RoundFigures& figures) {
  const std::vector<double>& engine_s = figures.engine_s;
  const double engine = Median(engine_s);
  int best = 0;
  for (int q = 1; q < kQueryCount; ++q) {
    if (Median(figures.query_s[q]) < Median(figures.query_s[best])) best = q;
  }
  const double ratio = Median(figures.query_s[best]) / engine;
  std::cout << "engine (reconcile::Classify, " << WithThousands(static_cast<std::int64_t>(data.manifest.size()))
            << " manifest rows x " << WithThousands(static_cast<std::int64_t>(data.seen.size()))
            << " scans): " << Ms(engine) << " median of " << config.rounds << " (min "
            << Ms(*std::min_element(engine_s.begin(), engine_s.end())) << ", max "
            << Ms(*std::max_element(engine_s.begin(), engine_s.end())) << "; target < "
            << Fixed(kTargetEngineMs, 0) << " ms for 1,000,000 x 1,000,000)\n"
            << "  counts:";
  for (int k = 0; k < rc::kKindCount; ++k) {
    std::cout << " " << rc::KindName(static_cast<rc::Kind>(k)) << " " << WithThousands(figures.counts[k]);
  }
  const std::int64_t missing = data.expected[static_cast<int>(rc::Kind::kMissing)];
  std::cout << " (as generated)\n"
            << "sqlite3 shell, medians of " << config.rounds << " (query alone, .timer real; cpu user+sys; the whole "
            << "process with start and warm-up), each counting " << WithThousands(missing) << " missing:\n";
  for (int q = 0; q < kQueryCount; ++q) {
    std::cout << "  " << kQueries[q].name << ": " << Fixed(Median(figures.query_s[q]), 3) << " s (cpu "
              << Fixed(Median(figures.query_cpu_s[q]), 3) << " s, process "
              << Fixed(Median(figures.query_wall_s[q]), 3) << " s), " << Fixed(Median(figures.query_s[q]) / engine, 1)
              << "x the engine\n";
  }
  std::cout << "best query " << kQueries[best].name << " " << Fixed(Median(figures.query_s[best]), 3)
            << " s / engine " << Ms(engine) << " = " << Fixed(ratio, 1) << "x (target >= " << Fixed(kTargetRatio, 0)
            << "x)\n";
  const bool engine_met =
      engine * 1000 * 1'000'000.0 / static_cast<double>(config.spec.manifest_rows) < kTargetEngineMs;
  const bool ratio_met = ratio >= kTargetRatio;
  std::cout << "targets: engine time " << (engine_met ? "met" : "MISSED") << ", ratio "
            << (ratio_met ? "met" : "MISSED") << "\n" << std::flush;
  return engine_met && ratio_met;
}

// The daemon's form of the engine (reconcile/ledger.h), built cold from
// the same vectors: what a stationd's first run spends besides reading.
Status MeasureLedger(const BenchConfig& config, const Data& data) {
  const rc::Config engine_config = EngineConfig();
  const SteadyClock::time_point start = SteadyClock::now();
  rc::Ledger ledger(engine_config);
  ledger.Load(data.manifest, data.seen);
  const double load_s = Seconds(SteadyClock::now() - start);
  const SteadyClock::time_point update_start = SteadyClock::now();
  const rc::LedgerChanges changes = ledger.Update(engine_config.now_ms);
  const double update_s = Seconds(SteadyClock::now() - update_start);
  const SteadyClock::time_point current_start = SteadyClock::now();
  const rc::Report current = ledger.Current();
  const double current_s = Seconds(SteadyClock::now() - current_start);
  if (Status s = CheckReport(data, config.spec.manifest_rows, current); !s.ok()) return s;
  std::cout << "ledger (reconcile::Ledger, the same rows, as a stationd's first run builds it): Load " << Ms(load_s)
            << ", first Update " << Ms(update_s) << " (" << WithThousands(static_cast<std::int64_t>(changes.found.size()))
            << " found), Current() " << Ms(current_s) << "\n" << std::flush;
  return Status::OK();
}

// ---- main ------------------------------------------------------------------

namespace po = boost::program_options;

po::options_description Describe(BenchConfig& config) {
  DataSpec& spec = config.spec;
  po::options_description desc(
      "bench_reconcile: the reconciliation engine (reconcile::Classify) against the sqlite3 shell's\n"
      "missing-parcel queries over the same rows in indexed tables (issue 4, docs/performance.md). The\n"
      "database lives in a temp folder under /tmp that is removed at the end.\n\n"
      "Usage: bench_reconcile [options]\n"
      "Exit: 0 all targets met, 1 a measurement or a count failed, 2 bad arguments, 3 a target missed.\n\n"
      "Options");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("manifest-rows", po::value(&spec.manifest_rows)->default_value(spec.manifest_rows),
       "waybills manifested to 571001")
      ("missing-pct", po::value(&spec.missing_pct)->default_value(spec.missing_pct),
       "% of them that never arrive")
      ("surplus-pct", po::value(&spec.surplus_pct)->default_value(spec.surplus_pct),
       "arrivals in no manifest, as a % of --manifest-rows")
      ("misrouted-pct", po::value(&spec.misrouted_pct)->default_value(spec.misrouted_pct),
       "arrivals manifested to another station (as many extra manifest rows), as a % of --manifest-rows")
      ("seed", po::value(&spec.seed)->default_value(spec.seed), "seed of the generator")
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
  return desc;
}

// The checks on the flags; the exit code when they will not do.
std::optional<int> CheckConfig(const BenchConfig& config) {
  const DataSpec& spec = config.spec;
  const auto pct_ok = [](double pct) { return pct >= 0 && pct <= 100; };
  if (spec.manifest_rows < 1 || spec.manifest_rows > 100'000'000 || !pct_ok(spec.missing_pct) ||
      !pct_ok(spec.surplus_pct) || !pct_ok(spec.misrouted_pct) || config.rounds < 1 || config.rounds > 50 ||
      config.timeout_s < 1 || config.station_rounds < 1 || config.station_rounds > 20 || config.new_scans < 100 ||
      config.new_scans > 1'000'000) {
    return UsageError("bench_reconcile",
                      "--manifest-rows 1-100000000, percentages 0-100, --rounds 1-50, --timeout-s at least 1,"
                      " --station-rounds 1-20, --new-scans 100-1000000");
  }
  if (::access(config.sqlite3.c_str(), X_OK) != 0) {
    return UsageError("bench_reconcile", "cannot run " + config.sqlite3 +
                                             " (install the sqlite3 package: scripts/install-deps.sh; or --sqlite3)");
  }
  return std::nullopt;
}

// Prints what was generated.
void PrintGenerated(const BenchConfig& config, const Data& data, const TempDir& dir, double generated_s,
                    double packed_s) {
  const auto expected = [&](rc::Kind kind) { return WithThousands(data.expected[static_cast<int>(kind)]); };
  std::cout << "bench_reconcile: station " << kStation << ", " << WithThousands(config.spec.manifest_rows)
            << " manifest rows to it + " << expected(rc::Kind::kMisrouted) << " to other stations ("
            << data.bags_to_station << " + " << data.bag_count - data.bags_to_station << " bags), "
            << WithThousands(static_cast<std::int64_t>(data.seen.size())) << " parcel-level arrival scans; seed "
            << config.spec.seed << ", " << config.rounds << " rounds; temp " << dir.path() << "\n"
            << "  generated in " << Fixed(generated_s, 1) << " s (not counted): missing "
            << expected(rc::Kind::kMissing) << " (in wholly missing bags: " << data.expected_bag_missing_parcels
            << "), missing_bag " << expected(rc::Kind::kMissingBag) << ", surplus " << expected(rc::Kind::kSurplus)
            << ", misrouted " << expected(rc::Kind::kMisrouted)
            << ", duplicate_arrival 0; dispatched 2-5 days before now, grace 24 h\n"
            << "  " << WithThousands(static_cast<std::int64_t>(data.manifest.size() + data.seen.size()))
            << " waybill texts packed into keys (PackWaybill) in " << Ms(packed_s) << " (not counted)\n"
            << std::flush;
}

// Exit codes: 0 targets met, 1 a measurement or a count failed, 2 usage, 3 a target missed.
int Main(int argc, char** argv) {
  BenchConfig config;
  po::options_description desc = Describe(config);
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "bench_reconcile", desc, vm)) return *exit_code;
  if (auto exit_code = CheckConfig(config)) return *exit_code;
  config.station_phase = !vm.count("no-station");
  auto dir = MakeRunDir("bench_reconcile", config.keep);
  if (!dir) return 1;

  const SteadyClock::time_point start = SteadyClock::now();
  Data data = Generate(config.spec);
  const double generated_s = Seconds(SteadyClock::now() - start);
  auto packed_s = PackKeys(data);
  if (!packed_s.ok()) return Fail("bench_reconcile", *dir, "generation", packed_s.status());
  PrintGenerated(config, data, *dir, generated_s, *packed_s);

  const std::string db_path = dir->Path("reconcile.db");
  std::string failed;
  if (Status s = PrepareShell(data, db_path, failed); !s.ok()) return Fail("bench_reconcile", *dir, failed, s);
  RoundFigures figures;
  if (Status s = MeasureRounds(config, data, *dir, db_path, figures, failed); !s.ok()) {
    return Fail("bench_reconcile", *dir, failed, s);
  }
  const bool engine_targets_met = PrintEngineAgainstShell(config, data, figures);
  if (Status s = MeasureLedger(config, data); !s.ok()) return Fail("bench_reconcile", *dir, "ledger", s);
  bool station_met = true;
  if (config.station_phase) {
    auto station = MeasureStationPhase(config, data, *dir);
    if (!station.ok()) return Fail("bench_reconcile", *dir, "station phase", station.status());
    station_met = *station;
  }
  return Finish(*dir, config.keep, engine_targets_met && station_met);
}

}  // namespace
}  // namespace station::bench

int main(int argc, char** argv) {
  return station::bench::RunMain("bench_reconcile", station::bench::Main, argc, argv);
}
