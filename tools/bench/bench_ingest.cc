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
#include "tools/bench/ingest_paths.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr double kTargetRatio = 1.5;
constexpr double kTargetP99Ms = 15.0;

std::string Rate(double rows_per_s) { return WithThousands(static_cast<std::int64_t>(rows_per_s)) + " rows/s"; }

// The gun files of the throughput runs: gun g (0-based), file f.
std::string ThroughputFile(const IngestConfig& config, int g, int f) {
  char batch[32];
  std::snprintf(batch, sizeof batch, "20261124-%04d", f + 1);
  return MakeGunFile({Device(g), "C" + std::to_string(1001 + g), kStationCode, batch, config.rows,
                      static_cast<std::uint64_t>(g) * 100003 + static_cast<std::uint64_t>(f) + 1});
}

// ---- The rounds ------------------------------------------------------------

// The figures of the dock paths measured, each round's.
struct PathFigures {
  std::vector<double> rates, indexed_rates, ratios;  // ratios: to the loader of the same round
};
struct RoundFigures {
  std::vector<Link> links;  // the dock paths measured; the first is held to the target
  std::vector<PathFigures> paths;
  std::vector<double> baseline_rates, curve_costs;
};

// Measures the loader and each dock path in `round`, printing the round's line.
Status MeasureRound(const IngestConfig& config, const std::vector<std::vector<std::string>>& files,
                    const std::vector<std::string>& all_files, const std::string& round_dir, int round,
                    RoundFigures& figures, std::string& failed) {
  failed = "baseline";
  auto baseline = MeasureBaseline(config, all_files, round_dir);
  if (!baseline.ok()) return baseline.status();
  figures.baseline_rates.push_back(static_cast<double>(baseline->rows) / baseline->insert_s);
  std::cout << "  round " << round << ": naive loader " << Rate(figures.baseline_rates.back()) << " ("
            << Fixed(baseline->insert_s, 2) << " s; parsing, not counted, " << Fixed(baseline->parse_s, 2) << " s)";

  const std::vector<Link>& links = figures.links;
  std::vector<std::size_t> order(links.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i + static_cast<std::size_t>(round - 1)) % order.size();
  for (std::size_t i : order) {
    failed = std::string("dock path, ") + LinkName(links[i]);
    auto dock = MeasureDockPath(config, files, round_dir, links[i]);
    if (!dock.ok()) return dock.status();
    PathFigures& path = figures.paths[i];
    path.rates.push_back(static_cast<double>(dock->rows) / dock->seconds);
    path.indexed_rates.push_back(static_cast<double>(dock->rows) / dock->indexed_seconds);
    path.ratios.push_back(path.rates.back() / figures.baseline_rates.back());
    std::cout << ", dock path " << (links[i] == Link::kCurve ? "CURVE " : "insecure ") << Rate(path.rates.back())
              << " (" << Fixed(dock->seconds, 2) << " s; waybill index caught up at "
              << Fixed(dock->indexed_seconds, 2) << " s) " << Fixed(path.ratios.back(), 2) << "x";
  }
  if (links.size() == 2) {
    figures.curve_costs.push_back(figures.paths[0].rates.back() / figures.paths[1].rates.back());
    std::cout << ", CURVE/insecure " << Fixed(figures.curve_costs.back(), 2) << "x";
  }
  std::cout << "\n" << std::flush;
  return Status::OK();
}

// The medians of the rounds; returns the ratio held to the target.
double PrintThroughput(const IngestConfig& config, const RoundFigures& figures) {
  const char* guns_word = config.guns == 1 ? " gun" : " guns";
  std::cout << "baseline naive loader: " << Rate(Median(figures.baseline_rates)) << "\n";
  for (std::size_t i = 0; i < figures.links.size(); ++i) {
    const PathFigures& path = figures.paths[i];
    std::cout << "dock path"
              << (figures.links[i] == Link::kCurve ? ", CURVE as shipped (" : ", --insecure, no CURVE (")
              << config.guns << guns_word << ", scanner-dock -> stationd): " << Rate(Median(path.rates)) << "  ratio "
              << Fixed(Median(path.ratios), 2) << "x  (medians of " << config.rounds << " rounds"
              << (i == 0 ? "; target >= " + Fixed(kTargetRatio, 1) + "x)\n" : "; not a target)\n")
              << "  counting until the background waybill index has caught up: " << Rate(Median(path.indexed_rates))
              << "  ratio " << Fixed(Median(path.indexed_rates) / Median(figures.baseline_rates), 2) << "x\n";
  }
  if (figures.links.size() == 2) {
    std::cout << "CURVE cost: CURVE dock path / insecure dock path " << Fixed(Median(figures.curve_costs), 2)
              << "x  (median of the rounds' ratios)\n";
  }
  std::cout << std::flush;
  return Median(figures.paths[0].ratios);
}

// Measures dock-to-ack latency and prints it; whether the target was met.
Result<bool> MeasureAndPrintLatency(const IngestConfig& config, const TempDir& dir) {
  auto latency = MeasureLatency({config.stationd, config.guns, config.latency_batches, config.latency_scans},
                                dir.path());
  if (!latency.ok()) return latency.status();
  std::cout << "dock-to-ack " << config.latency_scans << "-scan batch, " << config.guns
            << (config.guns == 1 ? " gun" : " guns") << " at once, --insecure: p50 " << Fixed(latency->p50_ms, 1)
            << " ms  p99 " << Fixed(latency->p99_ms, 1) << " ms  max " << Fixed(latency->max_ms, 1) << " ms  ("
            << latency->batches << " batches into a database growing to " << WithThousands(latency->stored)
            << " scans; target p99 < " << Fixed(kTargetP99Ms, 0) << " ms)\n"
            << "  p99 by quarter of the run:";
  for (int q = 0; q < 4; ++q) {
    std::cout << (q ? ", " : " ") << Fixed(latency->quarter_p99_ms[q], 1) << " ms (to "
              << WithThousands(latency->quarter_stored[q]) << " scans)";
  }
  std::cout << "\n";
  return latency->p99_ms < kTargetP99Ms;
}

// ---- main ----------------------------------------------------------------

namespace po = boost::program_options;

po::options_description Describe(IngestConfig& config) {
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
  return desc;
}

bool InRange(const IngestConfig& config) {
  return !(config.guns < 1 || config.guns > 64 || config.files < 1 || config.rows < 1 || config.rows > 1'000'000 ||
           config.part_rows < 1 || config.part_rows > 50'000 || config.rounds < 1 || config.rounds > 20 ||
           config.latency_batches < 1 || config.latency_scans < 1 || config.latency_scans > 20'000 ||
           config.timeout_s < 1);
}

// Exit codes: 0 targets met, 1 a measurement failed, 2 usage, 3 a target missed.
int Main(int argc, char** argv) {
  IngestConfig config;
  po::options_description desc = Describe(config);
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "bench_ingest", desc, vm)) return *exit_code;
  if (!InRange(config)) {
    std::cerr << "bench_ingest: --guns 1-64, --rows 1-1000000, --part-rows 1-50000, --rounds 1-20, "
                 "--latency-scans 1-20000, other counts at least 1 (see --help)\n";
    return 2;
  }
  if (auto exit_code = CheckPrograms("bench_ingest", {&config.stationd, &config.dock}, "--stationd, --dock")) {
    return *exit_code;
  }
  auto dir = MakeRunDir("bench_ingest", config.keep);
  if (!dir) return 1;
  const std::int64_t total = std::int64_t{config.guns} * config.files * config.rows;
  std::cout << "bench_ingest: " << config.guns << (config.guns == 1 ? " gun" : " guns") << " x " << config.files
            << " files x " << config.rows << " rows = " << WithThousands(total) << " rows, " << config.part_rows
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
  RoundFigures figures;
  figures.links = {Link::kCurve, Link::kInsecure};
  if (config.insecure_only) figures.links = {Link::kInsecure};
  figures.paths.resize(figures.links.size());
  const auto measure = [&](const std::string& round_dir, int round, std::string& failed) {
    return MeasureRound(config, files, all_files, round_dir, round, figures, failed);
  };
  if (int code = RunRounds("bench_ingest", *dir, config.rounds, config.keep, "", measure)) return code;
  files.clear();
  all_files.clear();
  const double ratio = PrintThroughput(config, figures);

  auto p99_met = MeasureAndPrintLatency(config, *dir);
  if (!p99_met.ok()) return Fail("bench_ingest", *dir, "latency", p99_met.status());
  const bool ratio_met = ratio >= kTargetRatio;
  std::cout << "targets: throughput " << (ratio_met ? "met" : "MISSED") << ", latency "
            << (*p99_met ? "met" : "MISSED") << "\n";
  return Finish(*dir, config.keep, ratio_met && *p99_met);
}

}  // namespace
}  // namespace station::bench

int main(int argc, char** argv) { return station::bench::RunMain("bench_ingest", station::bench::Main, argc, argv); }
