// bench_uplink: how fast a station's backlog goes up to the national system
// (docs/performance.md). In one run, on one machine:
//  1. a backlog: a station database holding --scans scans (default
//     1,000,000), stored through stationd's own Store, its waybill index
//     brought up to date by a stationd run (so the drain does not pay for it);
//  2. the raw baseline: the same rows, read from station.db and decoded
//     beforehand (not counted), written straight into a fresh national-sim
//     database with NationalStore, one transaction an upload of
//     --upload-scans rows, synchronous=FULL: national's storage without the
//     network, the protocol or stationd;
//  3. the drain: a fresh national-sim process, then a stationd process over
//     the backlog linked to it. The clock runs from stationd's start until
//     station.db's upload cursor (committed by stationd only after national
//     acknowledged, and national acknowledges only after its COMMIT) covers
//     every scan. national.db must then hold each scan exactly once.
// 2 and 3 alternate for a few rounds (the cursor is put back to 0 between
// rounds, national starts empty); medians are reported.

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

#include "core/clock.h"
#include "sql/sqlite.h"
#include "daemon/storage/store.h"
#include "daemon/uplink/uplink_store.h"
#include "core/command_line.h"
#include "wire/upload.h"
#include "tools/bench/bench_support.h"
#include "tools/national_sim/national_store.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr double kTargetScansPerS = 150'000;
constexpr double kTargetDrainS = 8.0;
constexpr int kRowsPerFile = 1000;

struct BenchConfig {
  std::string stationd = BENCH_STATIOND_PATH;
  std::string national_sim = BENCH_NATIONAL_SIM_PATH;
  std::int64_t scans = 1'000'000;
  int upload_scans = 5000;  // stationd's --upload-scans, and the baseline's rows a transaction
  int upload_window = 32;   // stationd's --upload-window
  int rounds = 3;
  int timeout_s = 120;
  bool keep = false;
};

std::string Rate(double scans_per_s) { return WithThousands(static_cast<std::int64_t>(scans_per_s)) + " scans/s"; }

// ---- 1. The backlog --------------------------------------------------------

// Stores `scans` scans into `data_dir`/station.db through Store::Save, 50
// batch files of 1,000 rows a transaction, as the ingest thread would.
Status MakeBacklog(const BenchConfig& config, const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  auto store = Store::Open(data_dir + "/station.db");
  if (!store.ok()) return store.status();
  const std::int64_t files = (config.scans + kRowsPerFile - 1) / kRowsPerFile;
  std::vector<IngestItem> items;
  for (std::int64_t f = 0; f < files; ++f) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kRowsPerFile, config.scans - f * kRowsPerFile));
    char device[32], batch[32];
    std::snprintf(device, sizeof device, "PDA-%04lld", static_cast<long long>(f % 40 + 1));
    std::snprintf(batch, sizeof batch, "20261124-%04lld", static_cast<long long>(f / 40 + 1));
    const std::string text = MakeGunFile({device, "C" + std::to_string(1001 + f % 40), kStationCode, batch, rows,
                                          static_cast<std::uint64_t>(f) + 1});
    IngestItem item;
    item.req = std::to_string(f);
    item.body = HeldBytes::Copy(text);
    auto read = ReadBatch(item.body.view());
    if (!read.ok()) return read.status();
    item.batch = std::move(*read);
    items.push_back(std::move(item));
    if (items.size() == 50 || f + 1 == files) {
      if (Status s = (*store)->Save(items, NowMs()); !s.ok()) return s;
      items.clear();
    }
  }
  return Status::OK();
}

// Runs stationd (unlinked) over the backlog until its waybill index has
// caught up, as it would have during the hours the scans came in.
Status CatchUpIndex(const BenchConfig& config, const std::string& data_dir, const std::string& log) {
  auto station = StartStation(config.stationd, data_dir, log);
  if (!station.ok()) return station.status();
  const auto deadline = SteadyClock::now() + std::chrono::seconds(config.timeout_s);
  for (;;) {
    auto done = IndexCaughtUp(data_dir);
    if (!done.ok()) return done.status();
    if (*done) break;
    if (SteadyClock::now() >= deadline) return Status::Unavailable("backlog", "the waybill index did not catch up");
    std::this_thread::sleep_for(20ms);
  }
  if (int code = station->process.Stop(10s); code != 0) {
    return Status::IOError("stationd", "stopped with " + std::to_string(code) + "; see " + log);
  }
  return Status::OK();
}

// ---- 2. The raw baseline ---------------------------------------------------

// The backlog as the uploads stationd sends, decoded as national-sim does.
Result<std::vector<std::vector<UploadedScan>>> ReadUploads(const BenchConfig& config, const std::string& data_dir) {
  auto store = UplinkStore::Open(data_dir + "/station.db");
  if (!store.ok()) return store.status();
  std::vector<std::vector<UploadedScan>> uploads;
  std::int64_t after = 0;
  for (;;) {
    std::string body = std::string(kUploadColumns) + "\n";
    int count = 0;
    std::int64_t last_id = after;
    if (Status s = (*store)->ReadUpload(after, config.upload_scans, body, count, last_id); !s.ok()) return s;
    if (count == 0) break;
    auto scans = ReadUploadBody(body);
    if (!scans.ok()) return scans.status();
    uploads.push_back(std::move(*scans));
    after = last_id;
  }
  return uploads;
}

Result<double> MeasureRaw(const std::vector<std::vector<UploadedScan>>& uploads, const std::string& dir) {
  auto store = national::NationalStore::Open(dir + "/national.db");
  if (!store.ok()) return store.status();
  const SteadyClock::time_point start = SteadyClock::now();
  for (const std::vector<UploadedScan>& scans : uploads) {
    std::vector<national::NationalStore::PendingUpload> one{{kStationCode, &scans}};
    if (Status s = (*store)->SaveUploads(one, NowMs()); !s.ok()) return s;
    if (one[0].stored != static_cast<int>(scans.size())) return Status::IOError("raw baseline", "a scan not stored");
  }
  return Seconds(SteadyClock::now() - start);
}

// ---- 3. The drain ----------------------------------------------------------

Result<std::int64_t> UploadedUpto(sql::Db& station_db) {
  return station_db.QueryInt("SELECT uploaded_upto FROM uplink_state");
}

Status ResetCursor(const std::string& data_dir) {
  auto db = sql::Db::Open(data_dir + "/station.db");
  if (!db.ok()) return db.status();
  return db->Exec("UPDATE uplink_state SET uploaded_upto = 0, last_upload_ms = NULL");
}

struct DrainFigures {
  double seconds = 0;
  double first_ack_s = 0;  // when the cursor first moved: connect, first sync, first upload
};

Result<DrainFigures> MeasureDrain(const BenchConfig& config, const std::string& station_dir,
                                  const std::string& dir) {
  if (Status s = ResetCursor(station_dir); !s.ok()) return s;
  auto national = StartNational(config.national_sim, dir + "/national", dir + "/national-sim.log",
                                {"--log-level", "warn"});
  if (!national.ok()) return national.status();

  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto station_db = sql::Db::Open(station_dir + "/station.db", read_only);
  if (!station_db.ok()) return station_db.status();

  DrainFigures figures;
  const SteadyClock::time_point start = SteadyClock::now();
  auto station = StartStation(
      config.stationd, station_dir, dir + "/stationd.log",
      {"--national", national->endpoint, "--upload-scans", std::to_string(config.upload_scans), "--upload-window",
       std::to_string(config.upload_window), "--log-level", "warn"});
  if (!station.ok()) return station.status();
  const SteadyClock::time_point deadline = start + std::chrono::seconds(config.timeout_s);
  for (;;) {
    auto upto = UploadedUpto(*station_db);
    if (!upto.ok()) return upto.status();
    if (*upto > 0 && figures.first_ack_s == 0) figures.first_ack_s = Seconds(SteadyClock::now() - start);
    if (*upto >= config.scans) break;
    if (SteadyClock::now() >= deadline) {
      return Status::Unavailable("drain", "the cursor stood at " + std::to_string(*upto) + " of " +
                                             std::to_string(config.scans) + " after " +
                                             std::to_string(config.timeout_s) + " s");
    }
    std::this_thread::sleep_for(2ms);
  }
  figures.seconds = Seconds(SteadyClock::now() - start);
  station->process.Stop(10s);
  national->process.Stop(10s);

  // Exactly once at national, checked in its own database.
  auto held = sql::Db::Open(dir + "/national/national.db", read_only);
  if (!held.ok()) return held.status();
  auto count = held->QueryInt("SELECT count(*) FROM scans");
  if (!count.ok()) return count.status();
  if (*count != config.scans) {
    return Status::IOError("drain", "national holds " + std::to_string(*count) + " scans, expected " +
                                        std::to_string(config.scans));
  }
  return figures;
}

// ---- The rounds ------------------------------------------------------------

struct RoundFigures {
  std::vector<double> raw_rates, drain_rates, drain_seconds, ratios;
};

// Measures the raw baseline and the drain in `round_dir`, printing the
// round's line; `failed` names what failed.
Status MeasureRound(const BenchConfig& config, const std::vector<std::vector<UploadedScan>>& uploads,
                    const std::string& station_dir, const std::string& round_dir, int round, RoundFigures& figures,
                    std::string& failed) {
  failed = "raw baseline";
  auto raw = MeasureRaw(uploads, round_dir + "/raw");
  if (!raw.ok()) return raw.status();
  failed = "drain";
  auto drain = MeasureDrain(config, station_dir, round_dir);
  if (!drain.ok()) return drain.status();
  const double n = static_cast<double>(config.scans);
  figures.raw_rates.push_back(n / *raw);
  figures.drain_rates.push_back(n / drain->seconds);
  figures.drain_seconds.push_back(drain->seconds);
  figures.ratios.push_back(figures.drain_rates.back() / figures.raw_rates.back());
  std::cout << "  round " << round << ": raw NationalStore " << Rate(figures.raw_rates.back()) << " ("
            << Fixed(*raw, 2) << " s), drain " << Rate(figures.drain_rates.back()) << " ("
            << Fixed(drain->seconds, 2) << " s from stationd's start; cursor first moved at "
            << Fixed(drain->first_ack_s, 2) << " s), ratio " << Fixed(figures.ratios.back(), 2) << "x\n"
            << std::flush;
  return Status::OK();
}

// The medians of the rounds, against the targets; whether both were met.
bool PrintDrain(const BenchConfig& config, const RoundFigures& figures) {
  const double rate = Median(figures.drain_rates), seconds = Median(figures.drain_seconds);
  std::cout << "raw baseline (NationalStore, " << config.upload_scans << " rows a transaction): "
            << Rate(Median(figures.raw_rates)) << "\n"
            << "uplink (stationd -> national-sim over loopback, acked after national's COMMIT, cursor committed): "
            << Rate(rate) << "  ratio " << Fixed(Median(figures.ratios), 2) << "x  (medians of " << config.rounds
            << " rounds; target >= " << WithThousands(static_cast<std::int64_t>(kTargetScansPerS)) << " scans/s)\n"
            << "backlog of " << WithThousands(config.scans) << " drained in " << Fixed(seconds, 2)
            << " s (median; target < " << Fixed(kTargetDrainS, 0) << " s for 1,000,000)\n";
  const bool rate_met = rate >= kTargetScansPerS;
  const bool drain_met = seconds * 1'000'000.0 / static_cast<double>(config.scans) < kTargetDrainS;
  std::cout << "targets: throughput " << (rate_met ? "met" : "MISSED") << ", drain " << (drain_met ? "met" : "MISSED")
            << "\n";
  return rate_met && drain_met;
}

// ---- main ------------------------------------------------------------------

namespace po = boost::program_options;

po::options_description Describe(BenchConfig& config) {
  po::options_description desc(
      "bench_uplink: a station's backlog drained to national-sim over loopback, against national's storage\n"
      "written directly (docs/performance.md). Real stationd and national-sim processes on 127.0.0.1, in a\n"
      "temp folder under /tmp that is removed at the end.\n\n"
      "Usage: bench_uplink [options]\n"
      "Exit: 0 all targets met, 1 a measurement failed, 2 bad arguments, 3 a target missed.\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("stationd", po::value(&config.stationd)->default_value(config.stationd), "the stationd program")
      ("national-sim", po::value(&config.national_sim)->default_value(config.national_sim),
       "the national-sim program")
      ("scans", po::value(&config.scans)->default_value(config.scans), "scans in the backlog")
      ("upload-scans", po::value(&config.upload_scans)->default_value(config.upload_scans),
       "scans an upload (stationd --upload-scans) and a baseline transaction")
      ("upload-window", po::value(&config.upload_window)->default_value(config.upload_window),
       "uploads in flight (stationd --upload-window)")
      ("rounds", po::value(&config.rounds)->default_value(config.rounds), "rounds of baseline and drain (1-20)")
      ("timeout-s", po::value(&config.timeout_s)->default_value(config.timeout_s), "give up a drain after this long")
      ("keep", po::bool_switch(&config.keep), "keep the temp folder (databases, logs) and print its path");
  return desc;
}

bool InRange(const BenchConfig& config) {
  return !(config.scans < 1 || config.scans > 100'000'000 || config.upload_scans < 1 ||
           config.upload_scans > 50'000 || config.upload_window < 1 || config.upload_window > 256 ||
           config.rounds < 1 || config.rounds > 20 || config.timeout_s < 1);
}

// Exit codes: 0 targets met, 1 a measurement failed, 2 usage, 3 a target missed.
int Main(int argc, char** argv) {
  BenchConfig config;
  po::options_description desc = Describe(config);
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "bench_uplink", desc, vm)) return *exit_code;
  if (!InRange(config)) {
    std::cerr << "bench_uplink: --scans 1-100000000, --upload-scans 1-50000, --upload-window 1-256, "
                 "--rounds 1-20, --timeout-s at least 1 (see --help)\n";
    return 2;
  }
  if (auto exit_code =
          CheckPrograms("bench_uplink", {&config.stationd, &config.national_sim}, "--stationd, --national-sim")) {
    return *exit_code;
  }
  auto dir = MakeRunDir("bench_uplink", config.keep);
  if (!dir) return 1;
  std::cout << "bench_uplink: a backlog of " << WithThousands(config.scans) << " scans, " << config.upload_scans
            << " scans an upload, " << config.upload_window << " in flight, " << config.rounds << " rounds; temp "
            << dir->path() << "\n"
            << std::flush;

  const std::string station_dir = dir->Path("station");
  SteadyClock::time_point start = SteadyClock::now();
  if (Status s = MakeBacklog(config, station_dir); !s.ok()) return Fail("bench_uplink", *dir, "backlog", s);
  if (Status s = CatchUpIndex(config, station_dir, dir->Path("stationd-index.log")); !s.ok()) {
    return Fail("bench_uplink", *dir, "backlog", s);
  }
  auto uploads = ReadUploads(config, station_dir);
  if (!uploads.ok()) return Fail("bench_uplink", *dir, "reading the backlog", uploads.status());
  std::cout << "  backlog made, indexed and read back as " << uploads->size() << " uploads in "
            << Fixed(Seconds(SteadyClock::now() - start), 1) << " s (not counted)\n"
            << std::flush;

  RoundFigures figures;
  const auto measure = [&](const std::string& round_dir, int round, std::string& failed) {
    return MeasureRound(config, *uploads, station_dir, round_dir, round, figures, failed);
  };
  if (int code = RunRounds("bench_uplink", *dir, config.rounds, config.keep, "raw", measure)) return code;
  return Finish(*dir, config.keep, PrintDrain(config, figures));
}

}  // namespace
}  // namespace station::bench

int main(int argc, char** argv) { return station::bench::RunMain("bench_uplink", station::bench::Main, argc, argv); }
