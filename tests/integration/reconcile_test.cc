// Reconciliation through the real programs: a manifest imported with
// stationctl, guns docked with scanner-dock, `stationctl reconcile` asking
// the running stationd, the discrepancies it stores, and a late arrival
// resolving its own.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kManifestHeader =
    "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n";

// Dispatched two days ago (past the default 24 h grace) or just now.
constexpr const char* kLongAgo = "2020-01-01T08:00:00+08:00";
constexpr const char* kJustNow = "2099-01-01T08:00:00+08:00";

std::string ManifestRow(const std::string& waybill, const std::string& origin, const std::string& dest,
                        const std::string& dispatched, const std::string& bag) {
  return waybill + "," + origin + "," + dest + "," + dispatched + "," + bag + ",1200,13812345678,西湖区\n";
}

std::string GunFile(const std::string& batch, const std::vector<std::string>& rows) {
  return GunFileWith("PDA-0042", batch, rows);
}

// A parcel-level arrival of `waybill`, or a bag-level one when it is empty.
std::string Arrival(const std::string& waybill, const std::string& bag = "") {
  return waybill + ",arrival,2026-11-24T07:58:12+08:00,310001," + bag + ",,,";
}

int Dock(const RunningStation& station, const TempDir& dir, const std::string& name, const std::string& text) {
  return DockText(station.endpoint, dir.Path("spool-" + name), name, text);
}

nlohmann::json Reconcile(const std::string& data) {
  auto r = RunCommand({StationctlPath(), "--data-dir", data, "reconcile", "--json"}, 60s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j;
}

std::string StateOf(const std::string& data, const std::string& kind, const std::string& waybill) {
  sql::OpenOptions ro;
  ro.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data), ro);
  REQUIRE(db.ok());
  auto stmt = sql::Stmt::Prepare(*db, "SELECT state FROM discrepancies WHERE kind = ?1 AND waybill = ?2");
  REQUIRE(stmt.ok());
  stmt->Bind(1, kind).Bind(2, waybill);
  std::string state;
  REQUIRE(stmt->ForEachRow([&](const sql::Stmt& row) { state = row.ColumnText(0); }).ok());
  return state;
}

// The bodies of the outbox messages to `to`, oldest first.
std::vector<std::string> Outbox(const std::string& data, const std::string& to) {
  sql::OpenOptions ro;
  ro.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data), ro);
  REQUIRE(db.ok());
  auto stmt = sql::Stmt::Prepare(*db, "SELECT body FROM outbox WHERE to_station = ?1 AND kind = 'missing_digest' ORDER BY id");
  REQUIRE(stmt.ok());
  stmt->Bind(1, to);
  std::vector<std::string> bodies;
  REQUIRE(stmt->ForEachRow([&](const sql::Stmt& row) { bodies.push_back(row.ColumnText(0)); }).ok());
  return bodies;
}

}  // namespace

TEST_CASE("reconcile through stationctl: each kind found, stored open, and a late arrival resolves its own",
          "[integration][reconcile]") {
  TempDir dir;
  const std::string data = dir.Path("station");
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {"--reconcile-every-s", "0"});

  // Bag BG1 (3 parcels) arrives as a bag and is not unpacked: all three
  // count. Bag BG2 (2 parcels) never shows up. Bag BG3 (3 parcels) is
  // unpacked here: ZT..31 and ZT..32 come out of it, ZT..33 does not.
  // ZT..41 is dispatched just now: not yet due. ZT..51 is manifested to
  // another station. ZT..61 is not manifested at all.
  std::string manifest = kManifestHeader;
  for (const char* w : {"ZT7730000000011", "ZT7730000000012", "ZT7730000000013"}) {
    manifest += ManifestRow(w, "310001", "571001", kLongAgo, "BG3100010001");
  }
  for (const char* w : {"ZT7730000000021", "ZT7730000000022"}) {
    manifest += ManifestRow(w, "200001", "571001", kLongAgo, "BG2000010002");
  }
  for (const char* w : {"ZT7730000000031", "ZT7730000000032", "ZT7730000000033"}) {
    manifest += ManifestRow(w, "310001", "571001", kLongAgo, "BG3100010003");
  }
  manifest += ManifestRow("ZT7730000000041", "310001", "571001", kJustNow, "BG3100010004");
  manifest += ManifestRow("ZT7730000000051", "310001", "100001", kLongAgo, "BG3100010005");
  WriteFileAtomically(dir.Path("manifest.csv"), manifest);
  auto import = RunCommand({StationctlPath(), "--data-dir", data, "manifest", "import", dir.Path("manifest.csv")}, 30s);
  INFO(import.out << import.err);
  REQUIRE(import.exit_code == 0);

  REQUIRE(Dock(station, dir, "morning",
               GunFile("20261124-0001",
                       {Arrival("", "BG3100010001"),
                        "ZT7730000000031,unpack,2026-11-24T08:10:00+08:00,,BG3100010003,,,",
                        "ZT7730000000032,unpack,2026-11-24T08:10:05+08:00,,BG3100010003,,,",
                        Arrival("ZT7730000000051"), Arrival("ZT7730000000061"), Arrival("ZT7730000000011"),
                        Arrival("ZT7730000000011")})) == 0);

  auto run = Reconcile(data);
  CHECK(run["full"] == true);  // stationd's first run reads everything
  CHECK(run["scans_read"] == 7);
  CHECK(run["manifest_read"] == 10);
  CHECK(run["manifest_to_station"] == 9);
  CHECK(run["arrived"] == 5);  // 11, 12, 13 by their bag; 31, 32 unpacked
  CHECK(run["within_grace"] == 1);
  CHECK(run["found"]["missing"] == 3);      // 21, 22 (whole bag) and 33 (from an itemised bag)
  CHECK(run["found"]["missing_bag"] == 1);  // BG2000010002
  CHECK(run["found"]["surplus"] == 1);      // 61
  CHECK(run["found"]["misrouted"] == 1);    // 51
  CHECK(run["found"]["duplicate_arrival"] == 1);  // 11 scanned twice
  CHECK(run["opened"] == 7);
  CHECK(run["resolved"] == 0);
  // The missing ones went to their origins in one digest each, and are notified.
  CHECK(run["notices"] == 2);
  CHECK(StateOf(data, "missing", "ZT7730000000033") == "notified");
  CHECK(StateOf(data, "missing", "ZT7730000000021") == "notified");
  CHECK(StateOf(data, "surplus", "ZT7730000000061") == "open");
  {
    auto to_200001 = nlohmann::json::parse(Outbox(data, "200001").at(0));
    CHECK(to_200001["from"] == "571001");
    CHECK(to_200001["run"] == run["run_id"]);
    CHECK(to_200001["missing"].size() == 3);  // two parcels and their bag
    CHECK(to_200001["missing"][0]["kind"] == "missing");
    CHECK(to_200001["missing"][0]["waybill"] == "ZT7730000000021");
    CHECK(to_200001["missing"][0]["whole_bag_missing"] == true);
    CHECK(to_200001["missing"][2]["kind"] == "missing_bag");
    CHECK(to_200001["missing"][2]["bag"] == "BG2000010002");
    CHECK(to_200001["missing"][2]["parcels"] == 2);
    auto to_310001 = nlohmann::json::parse(Outbox(data, "310001").at(0));
    CHECK(to_310001["missing"].size() == 1);
    CHECK(to_310001["missing"][0]["waybill"] == "ZT7730000000033");
    CHECK(to_310001["missing"][0]["whole_bag_missing"] == false);
  }
  CHECK(StateOf(data, "misrouted", "ZT7730000000051") == "open");
  CHECK(QueryInt(data, "SELECT bag_missing FROM discrepancies WHERE waybill = 'ZT7730000000021'") == 1);
  CHECK(QueryInt(data, "SELECT bag_missing FROM discrepancies WHERE waybill = 'ZT7730000000033'") == 0);
  CHECK(QueryInt(data, "SELECT count FROM discrepancies WHERE kind = 'missing_bag' AND bag = 'BG2000010002'") == 2);
  CHECK(QueryInt(data, "SELECT count FROM discrepancies WHERE kind = 'duplicate_arrival'") == 2);

  // Run again with nothing new: nothing opened, nothing resolved, nothing rewritten.
  const auto changed_before = QueryInt(data, "SELECT max(changed_ms) FROM discrepancies");
  auto again = Reconcile(data);
  CHECK(again["run_id"].get<int>() == run["run_id"].get<int>() + 1);
  CHECK(again["opened"] == 0);
  CHECK(again["resolved"] == 0);
  CHECK(again["notices"] == 0);  // each is told once
  CHECK(again["full"] == false);  // later runs read what came since
  CHECK(again["scans_read"] == 0);
  CHECK(again["manifest_read"] == 0);
  CHECK(QueryInt(data, "SELECT max(changed_ms) FROM discrepancies") == changed_before);
  CHECK(QueryInt(data, "SELECT count(*) FROM discrepancies") == 7);

  // ZT..33 turns up late: its discrepancy resolves itself; the rest stand.
  REQUIRE(Dock(station, dir, "late", GunFile("20261124-0002", {Arrival("ZT7730000000033")})) == 0);
  auto late = Reconcile(data);
  CHECK(late["found"]["missing"] == 2);
  CHECK(late["scans_read"] == 1);
  CHECK(late["opened"] == 0);
  CHECK(late["resolved"] == 1);
  CHECK(StateOf(data, "missing", "ZT7730000000033") == "resolved");
  CHECK(StateOf(data, "missing", "ZT7730000000021") == "notified");
  // Its origin, told it was missing, is told it came.
  CHECK(late["notices"] == 1);
  auto to_310001 = Outbox(data, "310001");
  REQUIRE(to_310001.size() == 2);
  auto news = nlohmann::json::parse(to_310001[1]);
  CHECK(news["missing"].empty());
  REQUIRE(news["resolved"].size() == 1);
  CHECK(news["resolved"][0]["waybill"] == "ZT7730000000033");
  CHECK(QueryInt(data, "SELECT count(*) FROM reconcile_runs") == 3);

  // ZT..51's row is corrected: it was for this station after all, and it
  // came. The next run reads just that change and heals the misroute.
  WriteFileAtomically(dir.Path("fix.csv"), std::string(kManifestHeader) +
                                               ManifestRow("ZT7730000000051", "310001", "571001", kLongAgo,
                                                           "BG3100010005"));
  auto fix = RunCommand({StationctlPath(), "--data-dir", data, "manifest", "import", dir.Path("fix.csv")}, 30s);
  INFO(fix.out << fix.err);
  REQUIRE(fix.exit_code == 0);
  auto fixed = Reconcile(data);
  CHECK(fixed["full"] == false);
  CHECK(fixed["manifest_read"] == 1);
  CHECK(fixed["scans_read"] == 0);
  CHECK(fixed["found"]["misrouted"] == 0);
  CHECK(fixed["arrived"] == 7);  // 51 now counts, besides 33 that came late
  CHECK(fixed["resolved"] == 1);
  CHECK(StateOf(data, "misrouted", "ZT7730000000051") == "resolved");
  // Applied, then dropped (just after the run, so the clerk does not wait for it).
  CHECK(WaitFor([&] { return QueryInt(data, "SELECT count(*) FROM manifest_changes") == 0; }, 10s));

  // ZT..22, reported missing to 200001, is re-addressed to another station:
  // no longer missing here, but it did not arrive, so 200001 is not told it came.
  WriteFileAtomically(dir.Path("readdress.csv"), std::string(kManifestHeader) +
                                                     ManifestRow("ZT7730000000022", "200001", "100001", kLongAgo,
                                                                 "BG2000010002"));
  auto readdress =
      RunCommand({StationctlPath(), "--data-dir", data, "manifest", "import", dir.Path("readdress.csv")}, 30s);
  INFO(readdress.out << readdress.err);
  REQUIRE(readdress.exit_code == 0);
  const auto digests_before = Outbox(data, "200001").size();
  auto readdressed = Reconcile(data);
  CHECK(readdressed["resolved"] == 1);
  CHECK(readdressed["notices"] == 0);
  CHECK(Outbox(data, "200001").size() == digests_before);
  CHECK(StateOf(data, "missing", "ZT7730000000022") == "resolved");
  CHECK(QueryInt(data, "SELECT count FROM discrepancies WHERE kind = 'missing_bag' AND bag = 'BG2000010002'") == 1);
  fixed = readdressed;

    // A restarted stationd reads everything once more and agrees.
  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(30s) == 0);
  station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                          {"--reconcile-every-s", "0"});
  auto restarted = Reconcile(data);
  CHECK(restarted["full"] == true);
  CHECK(restarted["opened"] == 0);
  CHECK(restarted["resolved"] == 0);
  CHECK(restarted["notices"] == 0);
  CHECK(restarted["found_total"] == fixed["found_total"]);
  CHECK(restarted["arrived"] == fixed["arrived"]);
}

TEST_CASE("a missing parcel is reported to its origin station through national-sim, then its late arrival",
          "[integration][reconcile]") {
  TempDir dir;
  const std::string here = dir.Path("hangzhou"), origin = dir.Path("shanghai");
  auto national = StartNational(dir.Path("national"), dir.Path("national.log"));
  const std::vector<std::string> link{"--national", national.endpoint, "--national-heartbeat-ms", "200",
                                      "--reconcile-every-s", "0"};
  auto station = StartStationd(here, "571001", dir.Path("hangzhou.log"), nullptr, "tcp://127.0.0.1:*", link);
  std::string manifest = kManifestHeader;
  manifest += ManifestRow("ZT7730000000071", "310001", "571001", kLongAgo, "BG3100010007");
  manifest += ManifestRow("ZT7730000000072", "310001", "571001", kLongAgo, "BG3100010007");
  WriteFileAtomically(dir.Path("manifest.csv"), manifest);
  REQUIRE(RunCommand({StationctlPath(), "--data-dir", here, "manifest", "import", dir.Path("manifest.csv")}, 30s)
              .exit_code == 0);
  REQUIRE(Dock(station, dir, "a", GunFile("20261124-0001", {Arrival("ZT7730000000071")})) == 0);

  // The origin station is offline when the digest is sent.
  auto first = Reconcile(here);
  CHECK(first["found"]["missing"] == 1);
  CHECK(first["notices"] == 1);
  REQUIRE(WaitFor([&] { return QueryInt(here, "SELECT count(*) FROM outbox WHERE posted_ms IS NULL") == 0; }, 20s));

  // It comes up later and finds the digest waiting, once.
  auto origin_station = StartStationd(origin, "310001", dir.Path("shanghai.log"), nullptr, "tcp://127.0.0.1:*", link);
  const auto alerts = [&] {
    auto r = RunCommand({StationctlPath(), "--data-dir", origin, "alerts", "--json"}, 20s);
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    REQUIRE(j.is_array());
    return j;
  };
  REQUIRE(WaitFor([&] { return alerts().size() == 1; }, 20s));
  auto seen = alerts();
  CHECK(seen[0]["from"] == "571001");
  CHECK(seen[0]["waybill"] == "ZT7730000000072");
  CHECK_THAT(seen[0]["status"].get<std::string>(), Catch::StartsWith("missing"));
  auto table = RunCommand({StationctlPath(), "--data-dir", origin, "alerts"}, 20s);
  CHECK_THAT(table.out, Catch::Contains("ZT7730000000072"));
  CHECK_THAT(table.out, Catch::Contains("有发无到"));

  // The parcel turns up late: the origin is told, and its discrepancy is resolved.
  REQUIRE(Dock(station, dir, "b", GunFile("20261124-0002", {Arrival("ZT7730000000072")})) == 0);
  auto second = Reconcile(here);
  CHECK(second["resolved"] == 1);
  CHECK(second["notices"] == 1);
  REQUIRE(WaitFor([&] { return alerts().size() == 2; }, 20s));
  seen = alerts();  // newest first
  CHECK(seen[0]["waybill"] == "ZT7730000000072");
  CHECK_THAT(seen[0]["status"].get<std::string>(), Catch::StartsWith("arrived late"));
  CHECK(StateOf(here, "missing", "ZT7730000000072") == "resolved");
  // Each digest is in the origin's inbox once.
  CHECK(QueryInt(origin, "SELECT count(*) FROM inbox") == 2);
}

TEST_CASE("a missing parcel whose manifest row changes bag stays one discrepancy, and its origin is not told it came",
          "[integration][reconcile]") {
  TempDir dir;
  const std::string data = dir.Path("station");
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {"--reconcile-every-s", "0"});
  const auto import = [&](const std::string& bag) {
    WriteFileAtomically(dir.Path("m.csv"), std::string(kManifestHeader) + ManifestRow("ZT7730000000081", "310001",
                                                                                      "571001", kLongAgo, bag));
    REQUIRE(RunCommand({StationctlPath(), "--data-dir", data, "manifest", "import", dir.Path("m.csv")}, 30s).exit_code == 0);
  };
  import("BG3100010008");
  auto first = Reconcile(data);
  CHECK(first["found"]["missing"] == 1);
  CHECK(first["notices"] == 1);
  import("BG3100010009");  // the national system corrects the bag
  auto second = Reconcile(data);
  // The parcel is still the one missing parcel, now in bag 09; the whole
  // bag missing is now bag 09 rather than 08 (one opened, one resolved).
  CHECK(second["found"]["missing"] == 1);
  CHECK(second["found"]["missing_bag"] == 1);
  CHECK(second["opened"] == 1);
  CHECK(second["resolved"] == 1);
  CHECK(QueryInt(data, "SELECT count(*) FROM discrepancies WHERE kind = 'missing'") == 1);
  CHECK(StateOf(data, "missing", "ZT7730000000081") == "notified");
  CHECK(QueryInt(data, "SELECT count(*) FROM discrepancies WHERE kind = 'missing' AND bag = 'BG3100010009'") == 1);
  // The origin hears of bag 09, and is not told the parcel or bag 08 "arrived".
  CHECK(second["notices"] == 1);
  auto news = nlohmann::json::parse(Outbox(data, "310001").at(1));
  CHECK(news["resolved"].empty());
  REQUIRE(news["missing"].size() == 1);
  CHECK(news["missing"][0]["kind"] == "missing_bag");
  CHECK(news["missing"][0]["bag"] == "BG3100010009");
}

TEST_CASE("stationctl alerts skips a message of the wrong shape and shows the others", "[integration][reconcile]") {
  TempDir dir;
  const std::string data = dir.Path("station");
  { auto station = StartStationd(data, "310001", dir.Path("stationd.log")); }  // creates and migrates station.db
  sql::OpenOptions rw;
  rw.create = false;
  auto db = sql::Db::Open(DatabasePath(data), rw);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("INSERT INTO inbox VALUES (1, '571001', 'x-1', 'missing_digest', '{\"missing\": [5]}', 1, 1);"
                   "INSERT INTO inbox VALUES (2, '571001', 'x-2', 'missing_digest', '{\"run\": \"7\"}', 1, 1);"
                   "INSERT INTO inbox VALUES (3, '571001', 'x-3', 'missing_digest', 'not json', 1, 1);"
                   "INSERT INTO inbox VALUES (4, '571001', 'x-4', 'missing_digest',"
                   " '{\"run\": 3, \"missing\": [{\"kind\": \"missing\", \"waybill\": \"ZT7730000000091\","
                   " \"bag\": \"BG1\", \"dispatched_ms\": 1}]}', 1, 1);")
              .ok());
  auto r = RunCommand({StationctlPath(), "--data-dir", data, "alerts"}, 20s);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ZT7730000000091"));
  // Not JSON, and an item that is not an object; {"run": "7"} has no items.
  CHECK_THAT(r.err, Catch::Contains("2 message(s) in the inbox could not be read"));
}

TEST_CASE("stationd refuses bad reconciliation settings, naming them", "[integration][reconcile]") {
  TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"--reconcile-every-s", "-1"},
      {"--reconcile-grace-hours", "-2"},
      {"--reconcile-grace", "310001"},
      {"--reconcile-grace", "31000=4"},
      {"--reconcile-grace", "310001=abc"},
  };
  for (const auto& flags : bad) {
    std::vector<std::string> argv{StationdPath(), "--station", "571001", "--data-dir", dir.Path("s")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = RunCommand(argv, 10s);
    INFO(flags[0] << " " << flags[1] << " -> " << r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(flags[0]));
  }
}

TEST_CASE("stationctl alerts --limit says how many lines it left out", "[integration][reconcile]") {
  TempDir dir;
  const std::string data = dir.Path("station");
  { auto station = StartStationd(data, "310001", dir.Path("stationd.log")); }  // creates and migrates station.db
  sql::OpenOptions rw;
  rw.create = false;
  auto db = sql::Db::Open(DatabasePath(data), rw);
  REQUIRE(db.ok());
  auto insert = sql::Stmt::Prepare(*db, "INSERT INTO inbox VALUES (?1, '571001', ?2, 'missing_digest', ?3, 1, 1)");
  REQUIRE(insert.ok());
  for (int seq = 1; seq <= 5; ++seq) {  // one missing parcel a digest: ZT..91 (oldest) to ZT..95
    const nlohmann::json body = {
        {"run", seq},
        {"missing", {{{"kind", "missing"}, {"waybill", "ZT773000000009" + std::to_string(seq)}, {"bag", "BG1"}}}}};
    insert->Reset();
    insert->Bind(1, seq).Bind(2, "x-" + std::to_string(seq)).Bind(3, body.dump());
    REQUIRE(insert->Run().ok());
  }
  const auto alerts = [&](const std::string& limit) {
    auto r = RunCommand({StationctlPath(), "--data-dir", data, "alerts", "--limit", limit}, 20s);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  const std::string two = alerts("2");
  CHECK_THAT(two, Catch::Contains("ZT7730000000095"));
  CHECK_THAT(two, Catch::Contains("ZT7730000000094"));
  CHECK_THAT(two, !Catch::Contains("ZT7730000000093"));
  CHECK_THAT(two, Catch::EndsWith("(newest 2 of 5 shown; --limit N for more, --limit 0 for all)\n"));
  for (const char* all : {"0", "5", "100"}) {
    INFO(all);
    const std::string out = alerts(all);
    CHECK_THAT(out, Catch::Contains("ZT7730000000091"));
    CHECK_THAT(out, !Catch::Contains("shown"));
  }
}
