// A poison upload (issue 16): national refuses every upload holding one
// scan InvalidArgument. The station tries it a bounded number of times,
// narrows it down to that scan, sets it aside with national's reason (shown
// in status and in the quarantine) and moves on: every other scan, those
// docked after it too, reaches national.

#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sql/sqlite.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;

namespace {

std::string Arrival(const std::string& waybill) { return waybill + ",arrival,2026-12-01T08:00:00+08:00,310001,,,,"; }

// `count` arrivals of waybills from number `first` on.
std::vector<std::string> Arrivals(int first, int count) {
  std::vector<std::string> rows;
  for (int i = first; i < first + count; ++i) rows.push_back(Arrival(WaybillFor(static_cast<std::uint64_t>(i))));
  return rows;
}

std::int64_t AtNational(const std::string& national_dir, const std::string& where) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(national_dir + "/national.db", options);
  REQUIRE(db.ok());
  const std::string sql = "SELECT count(*) FROM scans WHERE station = '571001' AND " + where;
  auto n = db->QueryInt(sql.c_str());
  REQUIRE(n.ok());
  return *n;
}

}  // namespace

TEST_CASE("a scan national refuses InvalidArgument is set aside with its reason, and the uploads behind it go",
          "[integration][uplink][poison]") {
  TempDir dir;
  const std::string data = dir.Path("station"), nat = dir.Path("national");
  const std::string poison = WaybillFor(12);
  auto national = StartNational(nat, dir.Path("national.log"), "tcp://127.0.0.1:*", {"--refuse-waybill", poison});
  // Uploads of 10 scans: the poison's first upload is split 10 -> 5 -> 3 -> 2 -> 1.
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {"--national", national.endpoint, "--national-heartbeat-ms", "200", "--upload-scans",
                                "10", "--log-level", "info"});
  REQUIRE(DockText(station.endpoint, dir.Path("spool-a"), "a",
                   GunFileWith("PDA-P", "20261201-0001", Arrivals(1, 30))) == 0);
  REQUIRE(RunStationctl(data, {"upload", "--timeout", "90"}).exit_code == 0);
  REQUIRE(DockText(station.endpoint, dir.Path("spool-b"), "b",
                   GunFileWith("PDA-P", "20261201-0002", Arrivals(31, 20))) == 0);
  const auto upload = RunStationctl(data, {"upload", "--timeout", "60"});
  INFO(upload.out << upload.err);
  REQUIRE(upload.exit_code == 0);

  // Every scan but the poison is at national, the later file's too.
  CHECK(CountScans(data) == 50);
  CHECK(AtNational(nat, "1") == 49);
  CHECK(AtNational(nat, "waybill = '" + poison + "'") == 0);
  CHECK(AtNational(nat, "batch = '20261201-0002'") == 20);

  // The clerk sees it: status (count and reason), the quarantine listing.
  auto status_json = RunStationctl(data, {"status", "--json"});
  auto j = nlohmann::json::parse(status_json.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  CHECK(j["national"]["set_aside"] == 1);
  CHECK(j["national"]["backlog"] == 0);
  CHECK(j["quarantine"]["national"] == 1);
  const std::string reason = j["national"]["set_aside_reason"].get<std::string>();
  CHECK(reason.find("national refused it (InvalidArgument)") == 0);
  CHECK(reason.find(poison + " is refused by this national system") != std::string::npos);
  auto status = RunStationctl(data, {"status"});
  CHECK(status.out.find("set aside:            1 scans national refused for good") != std::string::npos);

  auto listing = RunStationctl(data, {"quarantine", "--kind", "national", "--json"});
  auto rows = nlohmann::json::parse(listing.out, nullptr, false);
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["kind"] == "national");
  CHECK(rows[0]["device"] == "PDA-P");
  CHECK(rows[0]["seq"] == 12);
  CHECK(rows[0]["reason"] == reason);
  CHECK(rows[0]["raw"].get<std::string>().find(poison) != std::string::npos);
  auto table = RunStationctl(data, {"quarantine"});
  CHECK(table.out.find("national refused it (InvalidArgument)") != std::string::npos);

  // A restart does not set it aside twice, nor send it again for ever.
  station.process.Signal(SIGTERM);
  station.process.Wait(20s);
  station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                          {"--national", national.endpoint, "--national-heartbeat-ms", "200", "--log-level", "info"});
  REQUIRE(RunStationctl(data, {"upload", "--timeout", "30"}).exit_code == 0);
  j = nlohmann::json::parse(RunStationctl(data, {"status", "--json"}).out, nullptr, false);
  REQUIRE(!j.is_discarded());
  CHECK(j["national"]["set_aside"] == 1);
  CHECK(j["quarantine"]["national"] == 1);
}
