#include "core/clock.h"
#include "tools/bench/reconcile_station.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "daemon/storage/schema.h"
#include "sql/sqlite.h"
#include "core/iso_time.h"
#include "tools/bench/bench_support.h"
#include "tools/sim/child_process.h"
#include "tools/sim/gun_files.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rc = station::reconcile;

// Each incremental round docks new_scans scans in the shares the full data
// has: 3 % late arrivals of missing parcels, 1 % surplus, 0.5 % second
// arrivals; the rest are parcels of today's trucks, manifested and still
// within their grace period.
constexpr double kLateShare = 0.03, kSurplusShare = 0.01, kDuplicateShare = 0.005;
constexpr std::int32_t kStation = 571001;

std::string Code(std::int32_t n) {
  char code[16];
  std::snprintf(code, sizeof code, "%06d", n);
  return code;
}

std::string BagName(rc::BagId bag) { return "BG" + std::to_string(1'000'000'000 + bag); }

std::string Numbered(const char* prefix, std::int64_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%s%013lld", prefix, static_cast<long long>(n));
  return text;
}

struct Round {
  std::vector<std::string> scans;  // waybills of the arrival scans to dock
  std::int64_t late = 0, surplus = 0, duplicates = 0;
};

// The rounds' scans, and the manifest rows of today's parcels they need.
struct Plan {
  std::vector<Round> rounds;
  std::vector<std::string> todays_parcels;
};

Plan MakePlan(const StationPhaseInput& in) {
  std::unordered_set<std::string> seen(in.seen_text.begin(), in.seen_text.end());
  std::vector<const std::string*> missing;
  for (std::size_t i = 0; i < in.manifest.size(); ++i) {
    if (in.manifest[i].dest_station == kStation && !seen.count(in.manifest_text[i])) missing.push_back(&in.manifest_text[i]);
  }
  Plan plan;
  std::size_t next_missing = 0, next_seen = 0;
  std::int64_t next_surplus = 0;
  for (int r = 0; r < in.rounds; ++r) {
    Round round;
    const auto share = [&](double s) { return static_cast<std::int64_t>(in.new_scans * s); };
    for (std::int64_t i = 0; i < share(kLateShare) && next_missing < missing.size(); ++i, ++round.late) {
      round.scans.push_back(*missing[next_missing++]);
    }
    for (std::int64_t i = 0; i < share(kSurplusShare); ++i, ++round.surplus) {
      round.scans.push_back(Numbered("XS", ++next_surplus));
    }
    for (std::int64_t i = 0; i < share(kDuplicateShare) && next_seen < in.seen_text.size(); ++i, ++round.duplicates) {
      round.scans.push_back(in.seen_text[next_seen++]);
    }
    while (static_cast<int>(round.scans.size()) < in.new_scans) {
      plan.todays_parcels.push_back(Numbered("YD", static_cast<std::int64_t>(plan.todays_parcels.size()) + 1));
      round.scans.push_back(plan.todays_parcels.back());
    }
    plan.rounds.push_back(std::move(round));
  }
  return plan;
}

// station.db as stationd would have it after importing the manifest and
// storing the scans: its own schema, written directly (not counted).
Status WriteStation(const StationPhaseInput& in, const Plan& plan, const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  sql::OpenOptions options;
  options.synchronous = "OFF";
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) return db.status();
  if (Status s = MigrateSchema(*db); !s.ok()) return s;
  auto txn = sql::Txn::Begin(*db);
  if (!txn.ok()) return txn.status();
  const std::int64_t now = NowMs();
  auto manifest = sql::Stmt::Prepare(
      *db,
      "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag, source,"
      " received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'bench', ?7)");
  if (!manifest.ok()) return manifest.status();
  const auto add_row = [&](const std::string& waybill, std::int32_t origin, std::int32_t dest, std::int64_t at,
                           const std::string& bag) {
    manifest->Reset();
    manifest->Bind(1, waybill).Bind(2, Code(origin)).Bind(3, Code(dest)).Bind(4, FormatIsoInstant(at));
    manifest->Bind(5, at).Bind(6, bag).Bind(7, now);
    return manifest->Run();
  };
  for (std::size_t i = 0; i < in.manifest.size(); ++i) {
    const rc::ManifestItem& m = in.manifest[i];
    if (Status s = add_row(in.manifest_text[i], m.origin_station, m.dest_station, m.dispatched_ms, BagName(m.bag));
        !s.ok()) {
      return s;
    }
  }
  const std::int32_t origin = in.manifest.empty() ? 310001 : in.manifest[0].origin_station;
  for (std::size_t i = 0; i < plan.todays_parcels.size(); ++i) {
    const std::string bag = "BGYD" + std::to_string(100'000 + i / 30);
    if (Status s = add_row(plan.todays_parcels[i], origin, kStation, now - 3600'000, bag); !s.ok()) return s;
  }
  if (Status s = db->Exec("INSERT INTO batches (id, device, batch, courier, station, received_ms)"
                          " VALUES (1, 'BENCH-PDA', 'bench-0', 'C0', '571001', 0)");
      !s.ok()) {
    return s;
  }
  auto scan = sql::Stmt::Prepare(
      *db,
      "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, peer_station, line)"
      " VALUES (1, ?1, ?2, 'arrival', ?3, ?4, ?4, '310001', ?5)");
  if (!scan.ok()) return scan.status();
  const std::string scan_time = FormatIsoInstant(now - 7200'000);
  for (std::size_t i = 0; i < in.seen_text.size(); ++i) {
    scan->Reset();
    scan->Bind(1, static_cast<std::int64_t>(i) + 1).Bind(2, in.seen_text[i]).Bind(3, scan_time);
    scan->Bind(4, now - 7200'000).Bind(5, static_cast<std::int64_t>(i) + 3);
    if (Status s = scan->Run(); !s.ok()) return s;
  }
  return txn->Commit();
}

struct Timed {
  double wall_s = 0;
  nlohmann::json run;
};

// `stationctl reconcile --json`, timed from its start to its exit.
Result<Timed> Reconcile(const StationPhaseInput& in, const std::string& data_dir, const std::string& name) {
  const std::string out = in.dir + "/" + name + ".json", err = in.dir + "/" + name + ".err";
  const SteadyClock::time_point start = SteadyClock::now();
  auto ctl = sim::ChildProcess::Start({in.stationctl, "--data-dir", data_dir, "reconcile", "--json"}, out, err);
  if (!ctl.ok()) return ctl.status();
  const int code = ctl->Wait(std::chrono::seconds(in.timeout_s));
  Timed timed;
  timed.wall_s = Seconds(SteadyClock::now() - start);
  if (code != 0) return Status::IOError("stationctl reconcile (" + name + ")", "exit " + std::to_string(code) + "; see " + err);
  std::ifstream file(out);
  std::stringstream text;
  text << file.rdbuf();
  timed.run = nlohmann::json::parse(text.str(), nullptr, false);
  if (!timed.run.is_object()) return Status::IOError("stationctl reconcile (" + name + ")", "no JSON in " + out);
  return timed;
}

Status Expect(const nlohmann::json& run, const char* where, const char* field, std::int64_t want) {
  const std::int64_t got = run.value(field, std::int64_t{-1});
  if (got == want) return Status::OK();
  return Status::IOError(std::string(where) + ": " + field, std::to_string(got) + ", expected " + std::to_string(want));
}

Status ExpectFound(const nlohmann::json& run, const char* where, rc::Kind kind, std::int64_t want) {
  const char* name = rc::KindName(kind);
  const std::int64_t got = run["found"].value(name, std::int64_t{-1});
  if (got == want) return Status::OK();
  return Status::IOError(std::string(where) + ": found " + name, std::to_string(got) + ", expected " + std::to_string(want));
}

// Docks `round` as gun files of at most 5,000 rows through scanner-dock;
// waits until stationd holds them all.
Status DockRound(const StationPhaseInput& in, const Station& station, const Round& round, int number,
                 std::int64_t scans_before) {
  const std::string spool = in.dir + "/spool-" + std::to_string(number);
  std::error_code error;
  std::filesystem::create_directories(spool, error);
  if (error) return Status::IOError("create " + spool, error.message());
  constexpr std::size_t kFileRows = 5000;
  for (std::size_t first = 0, file = 1; first < round.scans.size(); first += kFileRows, ++file) {
    std::string text = "# device=BENCH-PDA-" + std::to_string(number) + " courier=C9" + std::to_string(number) +
                       " station=571001 batch=round" + std::to_string(number) + "-" + std::to_string(file) +
                       "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
    const std::string when = FormatIsoInstant(NowMs());
    for (std::size_t i = first; i < std::min(first + kFileRows, round.scans.size()); ++i) {
      text += std::to_string(i - first + 1) + "," + round.scans[i] + ",arrival," + when + ",310001,,,,\n";
    }
    if (Status s = sim::WriteFileAtomically(spool + "/part" + std::to_string(file) + ".csv", text); !s.ok()) return s;
  }
  auto dock = sim::ChildProcess::Start({in.dock, "--insecure", "--once", "--spool", spool, "--station", station.endpoint},
                                       in.dir + "/dock-" + std::to_string(number) + ".log");
  if (!dock.ok()) return dock.status();
  if (int code = dock->Wait(std::chrono::seconds(in.timeout_s)); code != 0) {
    return Status::IOError("scanner-dock round " + std::to_string(number), "exit " + std::to_string(code));
  }
  auto stored = CountScans(station.data_dir);
  if (!stored.ok()) return stored.status();
  const std::int64_t want = scans_before + static_cast<std::int64_t>(round.scans.size());
  if (*stored != want) {
    return Status::IOError("round " + std::to_string(number), "stationd holds " + std::to_string(*stored) +
                                                                  " scans, expected " + std::to_string(want));
  }
  return Status::OK();
}

// Waits (bounded) until stationd's background waybill index has caught
// up, so it does not compete with the runs being timed.
Status WaitForIndex(const std::string& data_dir, int timeout_s) {
  const SteadyClock::time_point deadline = SteadyClock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    auto caught_up = IndexCaughtUp(data_dir);
    if (caught_up.ok() && *caught_up) return Status::OK();
    if (SteadyClock::now() >= deadline) return Status::Unavailable("waybill index", "not caught up in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string Split(const nlohmann::json& run) {
  return "read " + std::to_string(run.value("load_ms", 0)) + " ms, engine " + std::to_string(run.value("engine_ms", 0)) +
         " ms, store " + std::to_string(run.value("store_ms", 0)) + " ms; " +
         std::to_string(run.value("scans_read", 0)) + " scans and " + std::to_string(run.value("manifest_read", 0)) +
         " manifest rows read, " + std::to_string(run.value("opened", 0)) + " opened, " +
         std::to_string(run.value("resolved", 0)) + " resolved, " + std::to_string(run.value("notices", 0)) +
         " digests";
}

}  // namespace

Result<StationPhaseFigures> MeasureStation(const StationPhaseInput& in) {
  StationPhaseFigures figures;
  const Plan plan = MakePlan(in);
  const std::string data_dir = in.dir + "/station";
  const SteadyClock::time_point write_start = SteadyClock::now();
  if (Status s = WriteStation(in, plan, data_dir); !s.ok()) return s;
  figures.write_s = Seconds(SteadyClock::now() - write_start);

  auto station = StartStation(in.stationd, data_dir, in.dir + "/stationd.log",
                              {"--reconcile-every-s", "0", "--log-level", "warn"});
  if (!station.ok()) return station.status();
  if (Status s = WaitForIndex(data_dir, in.timeout_s); !s.ok()) return s;

  auto full = Reconcile(in, data_dir, "full");
  if (!full.ok()) return full.status();
  if (!full->run.value("full", false)) return Status::IOError("first run", "was not a full run");
  for (int k = 0; k < rc::kKindCount; ++k) {
    if (Status s = ExpectFound(full->run, "full run", static_cast<rc::Kind>(k), in.expected[k]); !s.ok()) return s;
  }
  figures.full_wall_s = full->wall_s;
  figures.full_run_ms = full->run.value("total_ms", std::int64_t{0});
  figures.full_detail = Split(full->run);

  std::int64_t scans = static_cast<std::int64_t>(in.seen_text.size());
  std::int64_t missing = in.expected[static_cast<int>(rc::Kind::kMissing)];
  std::int64_t surplus = in.expected[static_cast<int>(rc::Kind::kSurplus)];
  std::int64_t duplicates = in.expected[static_cast<int>(rc::Kind::kDuplicateArrival)];
  for (int r = 0; r < in.rounds; ++r) {
    const Round& round = plan.rounds[static_cast<std::size_t>(r)];
    if (Status s = DockRound(in, *station, round, r + 1, scans); !s.ok()) return s;
    scans += static_cast<std::int64_t>(round.scans.size());
    if (Status s = WaitForIndex(data_dir, in.timeout_s); !s.ok()) return s;
    auto incremental = Reconcile(in, data_dir, "incremental-" + std::to_string(r + 1));
    if (!incremental.ok()) return incremental.status();
    const nlohmann::json& run = incremental->run;
    missing -= round.late;
    surplus += round.surplus;
    duplicates += round.duplicates;
    const std::string where = "incremental run " + std::to_string(r + 1);
    if (run.value("full", true)) return Status::IOError(where, "read everything again");
    for (Status s : {Expect(run, where.c_str(), "scans_read", static_cast<std::int64_t>(round.scans.size())),
                     Expect(run, where.c_str(), "resolved", round.late),
                     Expect(run, where.c_str(), "opened", round.surplus + round.duplicates),
                     ExpectFound(run, where.c_str(), rc::Kind::kMissing, missing),
                     ExpectFound(run, where.c_str(), rc::Kind::kSurplus, surplus),
                     ExpectFound(run, where.c_str(), rc::Kind::kDuplicateArrival, duplicates)}) {
      if (!s.ok()) return s;
    }
    figures.incremental_wall_s.push_back(incremental->wall_s);
    figures.incremental_run_ms.push_back(run.value("total_ms", std::int64_t{0}));
    figures.incremental_detail = Split(run);
  }
  station->process.Stop(std::chrono::seconds(30));
  return figures;
}

}  // namespace station::bench
