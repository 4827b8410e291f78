// RELIABILITY.md T1 and T14 with real processes: stationd killed with
// SIGKILL at varied points while guns dock, and stopped with SIGTERM under
// load. What a gun was told is stored must be stored, exactly once.

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sql/sqlite.h"
#include "tests/support/figures.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/integrity.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// Guns with files waiting in their spools; each file is one message
// (rows <= part size), so a file in done/ means its scans were acknowledged.
struct Guns {
  std::vector<std::string> spools;
  std::int64_t total_scans = 0;
  int rows_per_file = 0;
};

Guns MakeGuns(const TempDir& dir, int guns, int files, int rows) {
  Guns g;
  g.rows_per_file = rows;
  for (int i = 0; i < guns; ++i) {
    std::string spool = dir.Path("spool" + std::to_string(i));
    fs::create_directories(spool);
    g.spools.push_back(spool);
    for (int f = 0; f < files; ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "/b%05d.csv", f);
      WriteFileAtomically(spool + name, MakeGunFile({"PDA-" + std::to_string(i), "C" + std::to_string(i), "571001",
                                                     "b" + std::to_string(f), rows,
                                                     static_cast<std::uint64_t>(i * 100000 + f)}));
      g.total_scans += rows;
    }
  }
  return g;
}

// Every file a gun was told is stored: (device, batch) -> rows.
std::map<std::pair<std::string, std::string>, int> Acknowledged(const Guns& guns) {
  std::map<std::pair<std::string, std::string>, int> acked;
  for (std::size_t i = 0; i < guns.spools.size(); ++i) {
    for (const std::string& name : FilesIn(guns.spools[i] + "/done", ".csv")) {
      std::string batch = "b" + std::to_string(std::atoi(name.c_str() + 1));
      acked[{"PDA-" + std::to_string(i), batch}] = guns.rows_per_file;
    }
  }
  return acked;
}

// Acknowledged scans missing from the database (one read-only query).
std::int64_t LostScans(const std::string& data_dir, const std::map<std::pair<std::string, std::string>, int>& acked) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(data_dir + "/station.db", options);
  REQUIRE(db.ok());
  auto stmt = sql::Stmt::Prepare(*db, "SELECT device, batch, count(*) FROM scans_full GROUP BY device, batch");
  REQUIRE(stmt.ok());
  std::map<std::pair<std::string, std::string>, std::int64_t> stored;
  REQUIRE(stmt->ForEachRow([&](const sql::Stmt& row) {
                stored[{row.ColumnText(0), row.ColumnText(1)}] = row.ColumnInt(2);
              }).ok());
  std::int64_t lost = 0;
  for (const auto& [key, rows] : acked) {
    auto it = stored.find(key);
    std::int64_t have = it == stored.end() ? 0 : it->second;
    if (have < rows) lost += rows - have;
  }
  return lost;
}

std::vector<ChildProcess> StartDocks(const Guns& guns, const std::string& endpoint, const std::string& log) {
  std::vector<ChildProcess> docks;
  for (const std::string& spool : guns.spools) {
    docks.push_back(Spawn({DockPath(), "--insecure", "--station", endpoint, "--spool", spool, "--once",
                                         "--give-up-s", "120", "--ack-timeout-ms", "2000", "--log-level", "warn"},
                                        log));
  }
  return docks;
}

// A stationd over `data` that has taken one gun file of `rows` scans.
RunningStation StationWithOneDock(const TempDir& dir, const std::string& data, int rows) {
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"));
  fs::create_directories(dir.Path("spool"));
  WriteFileAtomically(dir.Path("spool/a.csv"), MakeGunFile({"PDA-1", "C1", "571001", "a", rows, 4}));
  REQUIRE(DockOnce(station.endpoint, dir.Path("spool"), 30s) == 0);
  return station;
}

}  // namespace

TEST_CASE("T1: every scan acknowledged before a SIGKILL is stored exactly once after restart",
          "[integration][crash]") {
  const int kills = EnvInt("STATION_KILL_CYCLES", 20);
  const unsigned seed = static_cast<unsigned>(EnvInt("STATION_TEST_SEED", static_cast<int>(std::random_device{}())));
  std::mt19937 rng(seed);
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreePort());
  // Enough files that guns are still docking at the last kill (about 250,000
  // scans a second get through between kills).
  Guns guns = MakeGuns(dir, 4, std::min(1500, std::max(60, kills * 15)), 250);

  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, endpoint);
  auto docks = StartDocks(guns, endpoint, dir.Path("dock.log"));
  std::int64_t worst_lost = 0, max_acked = 0;
  int bad_integrity = 0;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 250));  // varied points
    auto acked = Acknowledged(guns);  // read before the kill: all of these were acked
    station.process.Kill();
    std::int64_t lost = LostScans(data, acked);
    std::string integrity = IntegrityCheck(data + "/station.db");
    if (integrity != "ok") ++bad_integrity;
    worst_lost = std::max(worst_lost, lost);
    std::int64_t acked_scans = 0;
    for (const auto& [key, rows] : acked) acked_scans += rows;
    max_acked = std::max(max_acked, acked_scans);
    INFO("kill " << k << " seed " << seed << " integrity " << integrity);
    REQUIRE(lost == 0);
    station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, endpoint);
  }
  for (ChildProcess& dock : docks) {
    const int exit_code = dock.Wait(180s);
    INFO("dock log:\n" << [&] {
      std::ifstream in(dir.Path("dock.log"));
      std::stringstream text;
      text << in.rdbuf();
      return text.str();
    }());
    CHECK(exit_code == 0);
  }
  const std::int64_t stored = CountScans(data);
  const std::int64_t distinct =
      QueryInt(data, "SELECT count(*) FROM (SELECT DISTINCT device, batch, seq FROM scans_full)");
  const std::int64_t acked_at_end = [&] {
    std::int64_t n = 0;
    for (const auto& [key, rows] : Acknowledged(guns)) n += rows;
    return n;
  }();
  PrintFigures("[T1] seed=%u kills=%d scans acknowledged=%lld (%lld at the last kill) stored=%lld lost=%lld "
              "duplicated=%lld integrity failures=%d\n",
              seed, kills, static_cast<long long>(acked_at_end), static_cast<long long>(max_acked),
              static_cast<long long>(stored), static_cast<long long>(worst_lost),
              static_cast<long long>(stored - distinct), bad_integrity);
  CHECK(bad_integrity == 0);
  CHECK(acked_at_end == guns.total_scans);
  CHECK(stored == guns.total_scans);
  CHECK(stored == distinct);
  CHECK(IntegrityCheck(data + "/station.db") == "ok");
}

TEST_CASE("T14: SIGTERM under load stops stationd cleanly within 5 s, nothing acknowledged lost",
          "[integration][crash]") {
  const int rounds = EnvInt("STATION_SIGTERM_ROUNDS", 10);
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreePort());
  Guns guns = MakeGuns(dir, 4, std::max(40, rounds * 12), 250);  // still docking at the last stop
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, endpoint);
  auto docks = StartDocks(guns, endpoint, dir.Path("dock.log"));
  std::int64_t slowest_ms = 0;
  for (int r = 0; r < rounds; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + 37 * r % 150));
    auto acked = Acknowledged(guns);
    auto t0 = std::chrono::steady_clock::now();
    station.process.Signal(SIGTERM);
    int code = station.process.Wait(5s);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    slowest_ms = std::max<std::int64_t>(slowest_ms, ms);
    INFO("round " << r);
    REQUIRE(code == 0);
    CHECK_FALSE(fs::exists(data + "/stationd.json"));  // it cleaned up after itself
    REQUIRE(LostScans(data, acked) == 0);
    station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, endpoint);
  }
  for (ChildProcess& dock : docks) CHECK(dock.Wait(120s) == 0);
  PrintFigures("[T14] rounds=%d slowest stop=%lld ms stored=%lld of %lld\n", rounds,
              static_cast<long long>(slowest_ms), static_cast<long long>(CountScans(data)),
              static_cast<long long>(guns.total_scans));
  CHECK(CountScans(data) == guns.total_scans);
}

TEST_CASE("a second stationd on the same data folder refuses to start", "[integration][crash]") {
  TempDir dir;
  auto first = StartStationd(dir.Path("data"), "571001", dir.Path("first.log"));
  auto second = RunCommand({StationdPath(), "--station", "571001", "--data-dir", dir.Path("data"), "--ingest",
                            "tcp://127.0.0.1:*"},
                           10s);
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("another stationd"));
  CHECK(first.process.Running());
}

TEST_CASE("after an unclean stop a damaged database is refused, not used", "[integration][crash]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  {
    auto station = StationWithOneDock(dir, data, 3000);
    station.process.Signal(SIGTERM);  // a clean stop checkpoints the WAL into station.db
    REQUIRE(station.process.Wait(5s) == 0);
  }
  auto again = StartStationd(data, "571001", dir.Path("stationd.log"));
  again.process.Kill();  // unclean: stationd.json stays behind
  REQUIRE(fs::exists(data + "/stationd.json"));
  {
    // Scribble over the middle of the file, as a failing disk would.
    std::fstream db(data + "/station.db", std::ios::in | std::ios::out | std::ios::binary);
    db.seekp(4096 * 5);
    std::string junk(4096 * 20, '\xA5');
    db.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto refused = RunCommand({StationdPath(), "--station", "571001", "--data-dir", data, "--ingest",
                             "tcp://127.0.0.1:*"},
                            20s);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("check") || Catch::Contains("malformed"));
}

TEST_CASE("after an unclean stop the waybill index is rebuilt by itself", "[integration][crash]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = StationWithOneDock(dir, data, 5000);
  station.process.Kill();
  station = StartStationd(data, "571001", dir.Path("stationd.log"));

  const std::int64_t with_waybill = CountScans(data, "waybill IS NOT NULL");
  std::int64_t indexed = -1;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    sql::OpenOptions options;
    options.read_only = true;
    auto index = sql::Db::Open(data + "/waybills.db", options);
    if (index.ok()) {
      auto n = index->QueryInt("SELECT count(*) FROM waybill_scans");
      if (n.ok()) indexed = *n;
    }
    if (indexed == with_waybill) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(indexed == with_waybill);
  // And lookups go through it: a parcel of the batch is found.
  const std::string waybill = WaybillFor(QueryInt(data, "SELECT CAST(substr(waybill, 3) AS INTEGER) FROM scans "
                                                        "WHERE waybill IS NOT NULL LIMIT 1"));
  auto history = RunCommand({StationctlPath(), "--data-dir", data, "scans", waybill, "--json"}, 10s);
  REQUIRE(history.exit_code == 0);
  CHECK(nlohmann::json::parse(history.out)["scans"].size() >= 1);
}
