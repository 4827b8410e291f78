// Upgrades (issue 7 point 5): a station.db of each earlier schema version
// (tests/fixtures/schema/vN.sql) is migrated by the current stationd, keeps
// every row, and a newer one is refused at start naming both versions.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/storage/schema.h"
#include "sql/sqlite.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/integrity.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station::test;
using namespace std::chrono_literals;

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A station.db made from `sql` (a fixture's text) in `data_dir`.
void LoadDatabase(const std::string& data_dir, const std::string& sql) {
  std::filesystem::create_directories(data_dir);
  auto db = station::sql::Db::Open(data_dir + "/station.db");
  REQUIRE(db.ok());
  station::Status loaded = db->Exec(sql.c_str());
  INFO(loaded.ToString());
  REQUIRE(loaded.ok());
}

nlohmann::json StationctlJson(const std::string& data_dir, const std::vector<std::string>& args) {
  auto run = RunStationctl(data_dir, args);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return nlohmann::json::parse(run.out);
}

}  // namespace

TEST_CASE("stationd migrates a database of every earlier schema version and keeps its rows", "[integration][upgrade]") {
  for (int version = 1; version < station::kSchemaVersion; ++version) {
    DYNAMIC_SECTION("schema " << version) {
      TempDir dir;
      const std::string data = dir.Path("data");
      LoadDatabase(data, ReadText(std::string(STATION_SCHEMA_FIXTURES) + "/v" + std::to_string(version) + ".sql"));
      REQUIRE(QueryInt(data, "PRAGMA user_version") == version);
      auto station = StartStationd(data, "571001", dir.Path("stationd.log"));
      CHECK(QueryInt(data, "PRAGMA user_version") == station::kSchemaVersion);
      CHECK(IntegrityCheck(data + "/station.db") == "ok");
      // Every row of the fixture, read as the clerk reads them.
      auto parcel = StationctlJson(data, {"scans", "ZT7730012345678", "--json"});
      REQUIRE(parcel["scans"].size() == 3);  // arrival, its bag's unpack, out for delivery
      std::multiset<std::string> types;
      for (const auto& scan : parcel["scans"]) {
        types.insert(scan["type"].get<std::string>());
        CHECK(scan["device"] == "PDA-FIX");
      }
      CHECK(types == std::multiset<std::string>{"arrival", "out_for_delivery", "unpack"});
      auto old_clock = StationctlJson(data, {"scans", "ZT7730099999999", "--json"});
      REQUIRE(old_clock["scans"].size() == 1);
      // Migration 7 flags the scans stored before it; v7 carries the flag.
      CHECK(old_clock["scans"][0]["clock_flag"] == "past");
      auto status = StationctlJson(data, {"status", "--json"});
      CHECK(status["scans"] == 4);
      CHECK(QueryInt(data, "SELECT count(*) FROM quarantine") == 1);
      CHECK(QueryInt(data, "SELECT count(*) FROM docks") == 1);
      CHECK(QueryInt(data, "SELECT count(*) FROM manifest WHERE waybill = 'ZT7730012345678'") == 1);
      CHECK(QueryInt(data, "SELECT uploaded_upto FROM uplink_state") == (version >= 2 ? 2 : 0));
      CHECK(QueryInt(data, "SELECT count(*) FROM discrepancies") == (version >= 3 ? 1 : 0));
      // A scan docked after the upgrade lands beside the old ones. (The
      // check used to count the fixture's one batch and docked nothing.)
      CHECK(QueryInt(data, "SELECT count(*) FROM batches") == 1);
      REQUIRE(DockText(station.endpoint, dir.Path("spool"), "after-upgrade",
                       GunFileWith("PDA-NEW", "20261201-0001",
                                   {"ZT7730012345678,out_for_delivery,2026-12-01T09:00:00+08:00,,,,,"})) == 0);
      CHECK(QueryInt(data, "SELECT count(*) FROM batches") == 2);
      CHECK(QueryInt(data, "SELECT count(*) FROM scans") == 5);
      CHECK(QueryInt(data, "SELECT count(*) FROM scans WHERE id > 4") == 1);  // a new id, none reused
      CHECK(StationctlJson(data, {"scans", "ZT7730012345678", "--json"})["scans"].size() == 4);
      station.process.Signal(SIGTERM);
      CHECK(station.process.Wait(10s) == 0);
    }
  }
}

TEST_CASE("stationd makes a fresh database of an empty station.db file", "[integration][upgrade]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  std::filesystem::create_directories(data);
  std::ofstream(data + "/station.db").flush();  // schema 0: an empty file
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"));
  CHECK(QueryInt(data, "PRAGMA user_version") == station::kSchemaVersion);
  CHECK(IntegrityCheck(data + "/station.db") == "ok");
  CHECK(QueryInt(data, "SELECT count(*) FROM scans") == 0);
  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
}

TEST_CASE("stationd refuses a database newer than it understands, naming both versions", "[integration][upgrade]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  LoadDatabase(data, ReadText(std::string(STATION_SCHEMA_FIXTURES) + "/v1.sql"));
  const int newer = station::kSchemaVersion + 1;
  {
    auto db = station::sql::Db::Open(data + "/station.db");
    REQUIRE(db.ok());
    REQUIRE(db->Exec(("PRAGMA user_version=" + std::to_string(newer)).c_str()).ok());
  }
  auto run = RunCommand({StationdPath(), "--station", "571001", "--data-dir", data, "--ingest", "tcp://127.0.0.1:*",
                         "--insecure"},
                        20s);
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("schema version " + std::to_string(newer)));
  CHECK_THAT(run.err, Catch::Contains("(" + std::to_string(station::kSchemaVersion) + ")"));
  // Refused, not touched.
  CHECK(QueryInt(data, "PRAGMA user_version") == newer);
}
