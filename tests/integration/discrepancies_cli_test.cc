// `stationctl discrepancies` (issue 4, the clerk's view) over a station
// database holding a discrepancy of every kind and state, written with SQL
// as a reconciliation run would leave them.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "daemon/storage/store.h"
#include "core/csv.h"
#include "core/iso_time.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

const std::string kClosedNote = "已核实, 系\"重复\"扫描";  // a comma and quotes, for the CSV

std::int64_t Ms(const char* iso) {
  auto ms = ParseIsoInstant(iso);
  if (!ms.ok()) throw std::runtime_error(ms.status().ToString());
  return *ms;
}

// A migrated station database in `data_dir` (Store::Open runs the
// migrations) holding, newest opened last:
//   1 missing            open      310001  ZT7730012345678 in BG3100010123
//   2 missing_bag        notified  310001  BG3100010999, 3 parcels
//   3 surplus            open      -       EE123456785CN, first seen by scan 5
//   4 misrouted          resolved  200001  ZT7730012345679, to 100001
//   5 duplicate_arrival  closed    200001  ZT7730012345670, with a clerk's note
//   6 missing            notified  200001  ZT7730012345671, its whole bag missing
void MakeStation(const std::string& data_dir) {
  std::filesystem::create_directories(data_dir);
  {
    auto store = Store::Open(DatabasePath(data_dir));
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
  }
  auto db = sql::Db::Open(DatabasePath(data_dir));
  if (!db.ok()) throw std::runtime_error(db.status().ToString());
  auto insert = sql::Stmt::Prepare(
      *db,
      "INSERT INTO discrepancies (id, kind, waybill, bag, origin_station, dest_station, dispatched_ms, first_scan_id,"
      " count, bag_missing, state, opened_ms, changed_ms, last_run, note, closed_by)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  if (!insert.ok()) throw std::runtime_error(insert.status().ToString());
  struct Row {
    const char* kind;
    const char* waybill;
    const char* bag;
    const char* origin;
    const char* dest;
    const char* dispatched;  // nullptr: not manifested
    std::int64_t first_scan_id;
    std::int64_t count;
    bool bag_missing;
    const char* state;
    std::string note;
    std::string closed_by;
  };
  const std::vector<Row> rows = {
      {"missing", "ZT7730012345678", "BG3100010123", "310001", "571001", "2026-11-23T22:10:00+08:00", 0, 1, false,
       "open", "", ""},
      {"missing_bag", "", "BG3100010999", "310001", "571001", "2026-11-23T21:00:00+08:00", 0, 3, false, "notified", "",
       ""},
      {"surplus", "EE123456785CN", "", "", "", nullptr, 5, 1, false, "open", "", ""},
      {"misrouted", "ZT7730012345679", "BG2000010001", "200001", "100001", "2026-11-23T20:00:00+08:00", 7, 1, false,
       "resolved", "", ""},
      {"duplicate_arrival", "ZT7730012345670", "", "200001", "571001", "2026-11-23T19:30:00+08:00", 9, 2, false,
       "closed", kClosedNote, "clerk-li"},
      {"missing", "ZT7730012345671", "BG2000010002", "200001", "571001", "2026-11-23T18:00:00+08:00", 0, 1, true,
       "notified", "", ""},
  };
  const std::int64_t opened = Ms("2026-11-24T08:00:00+08:00");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const std::int64_t id = static_cast<std::int64_t>(i + 1);
    insert->Reset();
    insert->Bind(1, id).Bind(2, r.kind).Bind(3, r.waybill).Bind(4, r.bag).Bind(5, r.origin).Bind(6, r.dest);
    if (r.dispatched) {
      insert->Bind(7, Ms(r.dispatched));
    } else {
      insert->BindNull(7);
    }
    if (r.first_scan_id) {
      insert->Bind(8, r.first_scan_id);
    } else {
      insert->BindNull(8);
    }
    insert->Bind(9, r.count).Bind(10, std::int64_t{r.bag_missing}).Bind(11, r.state);
    insert->Bind(12, opened + (id - 1) * 60000).Bind(13, opened + (id - 1) * 60000 + 1000).Bind(14, id);
    insert->BindTextOrNull(15, r.note).BindTextOrNull(16, r.closed_by);
    if (Status s = insert->Run(); !s.ok()) throw std::runtime_error(s.ToString());
  }
}

// stationctl over `data_dir` in China's time zone, so local times are known.
RunResult Ctl(const std::string& data_dir, std::vector<std::string> args) {
  args.insert(args.begin(), "discrepancies");
  return RunStationctl(data_dir, args);
}

std::vector<std::int64_t> Ids(const RunResult& run) {
  REQUIRE(run.exit_code == 0);
  std::vector<std::int64_t> ids;
  for (const json& row : json::parse(run.out)) ids.push_back(row["id"].get<std::int64_t>());
  return ids;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("stationctl discrepancies shows open and notified ones by default, counts first, kinds in Chinese",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);

  auto run = Ctl(data, {});
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.empty());
  const std::string& out = run.out;
  CHECK(out.rfind("Discrepancies open or notified: 4 (missing 2, missing_bag 1, surplus 1; open 2, notified 2)\n", 0) ==
        0);
  for (const char* header :
       {"id", "kind", "waybill", "bag", "origin", "dest", "dispatched", "count", "state", "opened", "note"}) {
    CHECK_THAT(out, Catch::Contains(header));
  }
  CHECK_THAT(out, Catch::Contains("missing 有发无到"));
  CHECK_THAT(out, Catch::Contains("missing_bag 整袋未到"));
  CHECK_THAT(out, Catch::Contains("surplus 有到无发"));
  CHECK_THAT(out, !Catch::Contains("错发"));                // resolved
  CHECK_THAT(out, !Catch::Contains("重复到件"));            // closed
  CHECK_THAT(out, Catch::Contains("2026-11-23 22:10:00"));  // dispatched, local time
  CHECK_THAT(out, Catch::Contains("2026-11-24 08:00:00"));  // opened
  CHECK_THAT(out, Catch::Contains("--state all"));
  // Newest opened first.
  CHECK(out.find("ZT7730012345671") < out.find("EE123456785CN"));
  CHECK(out.find("EE123456785CN") < out.find("BG3100010999"));
  CHECK(out.find("BG3100010999") < out.find("ZT7730012345678"));

  auto all = Ctl(data, {"--state", "all"});
  REQUIRE(all.exit_code == 0);
  CHECK(all.out.rfind("Discrepancies: 6 (missing 2, missing_bag 1, surplus 1, misrouted 1, duplicate_arrival 1; "
                      "open 2, notified 2, resolved 1, closed 1)\n",
                      0) == 0);
  CHECK_THAT(all.out, Catch::Contains("misrouted 错发"));
  CHECK_THAT(all.out, Catch::Contains("duplicate_arrival 重复到件"));
  CHECK_THAT(all.out, Catch::Contains(kClosedNote));

  auto limited = Ctl(data, {"--state", "all", "--limit", "2"});
  REQUIRE(limited.exit_code == 0);
  CHECK_THAT(limited.out, Catch::Contains("(newest 2 of 6 shown; --limit N for more)"));
  CHECK_THAT(limited.out, !Catch::Contains("ZT7730012345679"));

  auto none = Ctl(data, {"--kind", "surplus", "--origin", "310001"});
  REQUIRE(none.exit_code == 0);
  CHECK(none.out.rfind("Discrepancies open or notified: 0\n", 0) == 0);

  auto help = RunCommand({StationctlPath(), "--help"}, 10s);
  CHECK_THAT(help.out, Catch::Contains("discrepancies     what reconciliation found"));
  CHECK_THAT(help.out, Catch::Contains("(default: open and notified)"));
  CHECK_THAT(help.out, Catch::Contains("--csv FILE"));
}

TEST_CASE("stationctl discrepancies filters by kind, origin and state", "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);
  using IdList = std::vector<std::int64_t>;
  CHECK(Ids(Ctl(data, {"--json"})) == IdList{6, 3, 2, 1});
  CHECK(Ids(Ctl(data, {"--json", "--state", "all"})) == IdList{6, 5, 4, 3, 2, 1});
  CHECK(Ids(Ctl(data, {"--json", "--kind", "missing"})) == IdList{6, 1});
  CHECK(Ids(Ctl(data, {"--json", "--kind", "misrouted"})).empty());
  CHECK(Ids(Ctl(data, {"--json", "--kind", "misrouted", "--state", "all"})) == IdList{4});
  CHECK(Ids(Ctl(data, {"--json", "--origin", "200001"})) == IdList{6});
  CHECK(Ids(Ctl(data, {"--json", "--origin", "200001", "--state", "all"})) == IdList{6, 5, 4});
  CHECK(Ids(Ctl(data, {"--json", "--state", "open"})) == IdList{3, 1});
  CHECK(Ids(Ctl(data, {"--json", "--state", "notified"})) == IdList{6, 2});
  CHECK(Ids(Ctl(data, {"--json", "--state", "resolved"})) == IdList{4});
  CHECK(Ids(Ctl(data, {"--json", "--state", "closed"})) == IdList{5});
  CHECK(Ids(Ctl(data, {"--json", "--kind", "missing", "--origin", "310001", "--state", "all"})) == IdList{1});
  CHECK(Ids(Ctl(data, {"--json", "--state", "all", "--limit", "2"})) == IdList{6, 5});

  // The data folder from the environment, as the other listings take it.
  auto from_env =
      RunCommand({"/usr/bin/env", "STATION_DATA_DIR=" + data, StationctlPath(), "discrepancies", "--json"}, 30s);
  CHECK(Ids(from_env) == IdList{6, 3, 2, 1});
}

TEST_CASE("stationctl discrepancies refuses a bad filter with exit 2 and names the bad value",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--kind", "lost"}, "'lost'"},
      {{"--kind", "Missing"}, "'Missing'"},
      {{"--kind", "invalid"}, "'invalid'"},  // a quarantine kind
      {{"--state", "opened"}, "'opened'"},
      {{"--origin", "31000"}, "'31000'"},
      {{"--origin", "3100O1"}, "'3100O1'"},
      {{"--origin", "3100011"}, "'3100011'"},
      {{"--limit", "0"}, "--limit"},
      {{"--force"}, "--force"},
      {{"--csv", dir.Path("x.csv"), "--json"}, "--json"},
      {{"ZT7730012345678"}, "discrepancies takes no arguments"},
  };
  for (const auto& [args, named] : cases) {
    INFO(args.front());
    auto run = Ctl(data, args);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(named));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir.Path("x.csv")));
}

TEST_CASE("stationctl discrepancies --json has every column, times as ms and ISO strings",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);
  auto run = Ctl(data, {"--json", "--state", "all"});
  REQUIRE(run.exit_code == 0);
  json rows = json::parse(run.out);
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == 6);
  for (const json& row : rows) {
    for (const char* key :
         {"id",           "kind",          "kind_label", "waybill",    "bag",         "origin_station",
          "dest_station", "dispatched_ms", "dispatched", "count",      "bag_missing", "first_scan_id",
          "state",        "opened_ms",     "opened",     "changed_ms", "changed",     "last_run",
          "note",         "closed_by"}) {
      INFO(key);
      CHECK(row.contains(key));
    }
    // Each ISO string is the same instant as its ms.
    CHECK(Ms(row["opened"].get<std::string>().c_str()) == row["opened_ms"]);
    CHECK(Ms(row["changed"].get<std::string>().c_str()) == row["changed_ms"]);
    if (!row["dispatched"].is_null()) CHECK(Ms(row["dispatched"].get<std::string>().c_str()) == row["dispatched_ms"]);
  }
  const json& closed = rows[1];  // id 5
  CHECK(closed["id"] == 5);
  CHECK(closed["kind"] == "duplicate_arrival");
  CHECK(closed["kind_label"] == "重复到件");
  CHECK(closed["waybill"] == "ZT7730012345670");
  CHECK(closed["bag"] == "");
  CHECK(closed["origin_station"] == "200001");
  CHECK(closed["dest_station"] == "571001");
  CHECK(closed["dispatched_ms"] == Ms("2026-11-23T19:30:00+08:00"));
  CHECK(closed["dispatched"] == "2026-11-23T19:30:00.000+08:00");  // local time, TZ=CST-8
  CHECK(closed["count"] == 2);
  CHECK(closed["first_scan_id"] == 9);
  CHECK(closed["state"] == "closed");
  CHECK(closed["opened_ms"] == Ms("2026-11-24T08:04:00+08:00"));
  CHECK(closed["opened"] == "2026-11-24T08:04:00.000+08:00");
  CHECK(closed["changed_ms"] == Ms("2026-11-24T08:04:01+08:00"));
  CHECK(closed["last_run"] == 5);
  CHECK(closed["note"] == kClosedNote);
  CHECK(closed["closed_by"] == "clerk-li");

  const json& surplus = rows[3];  // id 3: not manifested
  CHECK(surplus["kind"] == "surplus");
  CHECK(surplus["kind_label"] == "有到无发");
  CHECK(surplus["origin_station"] == "");
  CHECK(surplus["dispatched_ms"].is_null());
  CHECK(surplus["dispatched"].is_null());
  CHECK(surplus["first_scan_id"] == 5);
  CHECK(rows[0]["bag_missing"] == true);  // id 6
  CHECK(rows[4]["count"] == 3);           // id 2, missing_bag
  CHECK(rows[4]["waybill"] == "");
  CHECK(rows[4]["first_scan_id"].is_null());
}

TEST_CASE("stationctl discrepancies --csv writes every match for Excel, and keeps an existing file without --force",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);
  std::filesystem::create_directories(dir.Path("out"));
  const std::string file = dir.Path("out/差异 1124.csv");

  // --limit does not cut a CSV file short.
  auto run = Ctl(data, {"--state", "all", "--limit", "1", "--csv", file});
  REQUIRE(run.exit_code == 0);
  CHECK(run.out == "6 rows written to " + file + "\n");
  const std::string bytes = ReadFile(file);
  REQUIRE(bytes.size() > 3);
  CHECK(bytes.compare(0, 3, "\xEF\xBB\xBF") == 0);
  const std::string header =
      "id,kind,kind_label,waybill,bag,origin_station,dest_station,dispatched,count,state,opened,changed,note,"
      "closed_by\r\n";
  CHECK(bytes.compare(3, header.size(), header) == 0);
  CHECK_THAT(bytes,
             Catch::Contains("5,duplicate_arrival,重复到件,ZT7730012345670,,200001,571001,2026-11-23 19:30:00,2,closed,"
                             "2026-11-24 08:04:00,2026-11-24 08:04:01,\"已核实, 系\"\"重复\"\"扫描\",clerk-li\r\n"));
  CHECK_THAT(bytes, Catch::Contains("3,surplus,有到无发,EE123456785CN,,,,,1,open,"));

  // Read back with the project's RFC 4180 reader: a header and six records.
  CsvReader reader(std::string_view(bytes).substr(3));
  CsvRecord record;
  std::vector<std::vector<std::string>> records;
  while (reader.Next(record)) {
    INFO(record.raw);
    REQUIRE(record.error.empty());
    records.push_back(record.fields);
  }
  REQUIRE(records.size() == 7);
  for (const auto& fields : records) CHECK(fields.size() == 14);
  CHECK(records[1][0] == "6");
  CHECK(records[2][12] == kClosedNote);
  CHECK(records[2][13] == "clerk-li");

  // An existing file is kept without --force.
  auto again = Ctl(data, {"--kind", "missing", "--csv", file});
  CHECK(again.exit_code == 1);
  CHECK(again.out.empty());
  CHECK_THAT(again.err, Catch::Contains(file));
  CHECK_THAT(again.err, Catch::Contains("--force"));
  CHECK(ReadFile(file) == bytes);

  auto forced = Ctl(data, {"--kind", "missing", "--csv", file, "--force"});
  REQUIRE(forced.exit_code == 0);
  CHECK(forced.out == "2 rows written to " + file + "\n");
  const std::string replaced = ReadFile(file);
  CHECK(std::count(replaced.begin(), replaced.end(), '\n') == 3);
  CHECK_THAT(replaced, Catch::Contains("ZT7730012345671"));
  CHECK_THAT(replaced, !Catch::Contains("EE123456785CN"));

  // Nothing is left beside it (the temporary file was renamed).
  CHECK(FileNames(dir.Path("out")) == std::vector<std::string>{"差异 1124.csv"});

  auto one = Ctl(data, {"--state", "closed", "--csv", dir.Path("out/one.csv")});
  CHECK(one.out == "1 row written to " + dir.Path("out/one.csv") + "\n");

  auto nowhere = Ctl(data, {"--csv", dir.Path("no-such-folder/x.csv")});
  CHECK(nowhere.exit_code == 1);
  CHECK_THAT(nowhere.err, Catch::Contains("no-such-folder"));
}

TEST_CASE("stationctl discrepancies says so when there is no database or it predates discrepancies",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  auto none = Ctl(dir.Path("nowhere"), {});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Catch::Contains("no station database"));

  MakeStation(dir.Path("old"));
  {
    auto db = sql::Db::Open(DatabasePath(dir.Path("old")));
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DROP TABLE discrepancies; PRAGMA user_version = 2").ok());
  }
  auto old = Ctl(dir.Path("old"), {});
  CHECK(old.exit_code == 1);
  CHECK_THAT(old.err, Catch::Contains("predates"));
}

// `stationctl discrepancies close`: a clerk closes one with a note, through
// the running stationd's control socket.

namespace {

// Manifest rows that keep discrepancies 1 and 6 missing, so a
// reconciliation run finds them again.
constexpr const char* kManifestOf1And6 =
    "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n"
    "ZT7730012345678,310001,571001,2026-11-23T22:10:00+08:00,BG3100010123,1200,13812345678,西湖区\n"
    "ZT7730012345671,200001,571001,2026-11-23T18:00:00+08:00,BG2000010002,1200,13812345678,西湖区\n";

// A gun's batch in which the parcels of discrepancies 1 and 6 arrive late.
constexpr const char* kLateArrivalOf1And6 =
    "# device=PDA-0042 courier=C1001 station=571001 batch=20261124-0009\n"
    "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n"
    "1,ZT7730012345678,arrival,2026-11-24T09:00:00+08:00,310001,,,,\n"
    "2,ZT7730012345671,arrival,2026-11-24T09:00:05+08:00,200001,,,,\n";

// MakeStation's database served by a running stationd that reconciles only
// when asked.
RunningStation ServeStation(const TempDir& dir, const std::string& data) {
  MakeStation(data);
  return StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                       {"--reconcile-every-s", "0"});
}

// discrepancies --state S --json, by id.
std::map<std::int64_t, json> RowsIn(const std::string& data, const std::string& state) {
  auto run = Ctl(data, {"--state", state, "--json"});
  REQUIRE(run.exit_code == 0);
  std::map<std::int64_t, json> rows;
  for (const json& row : json::parse(run.out)) rows[row["id"].get<std::int64_t>()] = row;
  return rows;
}

// A reconciliation run asked for with stationctl; the run's figures.
json ReconcileNow(const std::string& data) {
  auto run = RunCommand({StationctlPath(), "--data-dir", data, "reconcile", "--json"}, 60s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return json::parse(run.out);
}

}  // namespace

TEST_CASE("a clerk closes an open and a notified discrepancy with a note, and reconciliation leaves them closed",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);
  WriteFileAtomically(dir.Path("manifest.csv"), kManifestOf1And6);
  REQUIRE(RunCommand({StationctlPath(), "--data-dir", data, "manifest", "import", dir.Path("manifest.csv")}, 30s)
              .exit_code == 0);

  // The note is kept without the blanks around it (also the ideographic space).
  auto closed = Ctl(data, {"close", "1", "--note", "  已电话联系始发站, 确认未发出\u3000", "--by", "clerk-wang"});
  INFO(closed.err);
  REQUIRE(closed.exit_code == 0);
  CHECK(closed.out == "closed discrepancy 1 (missing ZT7730012345678 from 310001)\n");
  CHECK(closed.err.empty());
  auto bag = Ctl(data, {"close", "2", "--note", "整袋已找到, 在二号仓", "--by", "clerk-li"});
  REQUIRE(bag.exit_code == 0);
  CHECK(bag.out == "closed discrepancy 2 (missing_bag BG3100010999 from 310001)\n");

  auto rows = RowsIn(data, "closed");
  REQUIRE(rows.size() == 3);  // 5 was closed before
  CHECK(rows[1]["state"] == "closed");
  CHECK(rows[1]["note"] == "已电话联系始发站, 确认未发出");
  CHECK(rows[1]["closed_by"] == "clerk-wang");
  CHECK(rows[1]["changed_ms"] > rows[1]["opened_ms"]);
  CHECK(rows[2]["note"] == "整袋已找到, 在二号仓");
  CHECK(rows[2]["closed_by"] == "clerk-li");
  CHECK(Ids(Ctl(data, {"--json"})) == std::vector<std::int64_t>{6, 3});  // open or notified
  const json closed_1 = rows[1];

  // A run finds 1 missing again, and 2's bag no longer: both stay closed as they were.
  auto run = ReconcileNow(data);
  CHECK(run["found"]["missing"] == 2);  // 1 and 6
  rows = RowsIn(data, "closed");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1] == closed_1);
  CHECK(rows[2]["note"] == "整袋已找到, 在二号仓");

  // Both parcels arrive late: 6 is resolved by it, 1 stays closed.
  const std::string spool = dir.Path("spool");
  std::filesystem::create_directories(spool);
  WriteFileAtomically(spool + "/late.csv", kLateArrivalOf1And6);
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);
  auto late = ReconcileNow(data);
  CHECK(late["found"]["missing"] == 0);
  CHECK(RowsIn(data, "closed")[1] == closed_1);
  REQUIRE(RowsIn(data, "resolved").count(6) == 1);

  // A resolved one cannot be closed; an error names it and says when.
  auto resolved = Ctl(data, {"close", "6", "--note", "已处理"});
  CHECK(resolved.exit_code == 1);
  CHECK(resolved.out.empty());
  CHECK_THAT(resolved.err, Catch::Contains("discrepancy 6 was resolved by a late arrival on 2026-"));
  CHECK_THAT(resolved.err, Catch::Contains("cannot be closed"));
  CHECK(RowsIn(data, "resolved").count(6) == 1);

  // Closing 1 again is refused, naming who closed it and why.
  auto again = Ctl(data, {"close", "1", "--note", "再次关闭"});
  CHECK(again.exit_code == 1);
  CHECK(again.out.empty());
  CHECK_THAT(again.err, Catch::Contains("discrepancy 1 is already closed (by clerk-wang: 已电话联系始发站, 确认未发出)"));
  CHECK(RowsIn(data, "closed")[1] == closed_1);
}

TEST_CASE("stationctl discrepancies close refuses an unknown id, a closed or resolved one and a blank or long note",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"999", "--note", "x"}, "NotFound: no discrepancy 999"},
      {{"5", "--note", "x"}, "discrepancy 5 is already closed (by clerk-li: " + kClosedNote + ")"},
      {{"4", "--note", "x"}, "discrepancy 4 was resolved by reconciliation on "},
      {{"1", "--note", ""}, "discrepancy 1: the note is empty"},
      {{"1", "--note", " \t\n\u3000 "}, "discrepancy 1: the note is empty"},
      {{"1", "--note", std::string(1001, 'x')}, "the note has 1001 bytes; at most 1000"},
      {{"1", "--note", "x", "--by", " "}, "who closes it"},
  };
  for (const auto& [args, named] : refused) {
    INFO(args.front() << " " << args.back().substr(0, 20));
    std::vector<std::string> words = {"close"};
    words.insert(words.end(), args.begin(), args.end());
    auto run = Ctl(data, words);
    CHECK(run.exit_code == 1);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(named));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  }
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"close"}, "usage: discrepancies close ID --note TEXT"},
      {{"close", "1"}, "--note"},
      {{"close", "abc", "--note", "x"}, "'abc'"},
      {{"close", "0", "--note", "x"}, "'0'"},
      {{"close", "1", "2", "--note", "x"}, "usage: discrepancies close"},
  };
  for (const auto& [args, named] : usage) {
    INFO(args.back());
    auto run = Ctl(data, args);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(named));
  }
  auto help = RunCommand({StationctlPath(), "--help"}, 10s);
  CHECK_THAT(help.out, Catch::Contains("discrepancies close ID --note TEXT [--by NAME]"));

  // When it was resolved, in stationd's time zone (a clerk's machine is the station's).
  auto resolved = Ctl(data, {"close", "4", "--note", "x"});
  const std::string on = "resolved by reconciliation on ";
  const auto at = resolved.err.find(on);
  REQUIRE(at != std::string::npos);
  const std::string when = resolved.err.substr(at + on.size(), resolved.err.find(": a resolved", at) - at - on.size());
  CHECK(ParseIsoInstant(when).ok());
  CHECK(Ms(when.c_str()) == Ms("2026-11-24T08:03:01+08:00"));

  // Nothing was changed by any of them.
  CHECK(Ids(Ctl(data, {"--json", "--state", "closed"})) == std::vector<std::int64_t>{5});
  CHECK(Ids(Ctl(data, {"--json"})) == std::vector<std::int64_t>{6, 3, 2, 1});
}

TEST_CASE("stationctl discrepancies close: a note of 1000 bytes, --by from $USER or clerk, --json prints the reply",
          "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);
  const auto close_as = [&](std::vector<std::string> env, const std::string& id, const std::string& note) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {StationctlPath(), "--data-dir", data, "discrepancies", "close", id, "--note", note, "--json"});
    return RunCommand(argv, 30s);
  };
  const std::string longest(1000, 'x');
  auto by_user = close_as({"USER=clerk-zhao"}, "3", " " + longest + "\n");
  INFO(by_user.err);
  REQUIRE(by_user.exit_code == 0);
  json reply = json::parse(by_user.out);
  CHECK(reply["ok"] == true);
  CHECK(reply["discrepancy"]["id"] == 3);
  CHECK(reply["discrepancy"]["kind"] == "surplus");
  CHECK(reply["discrepancy"]["waybill"] == "EE123456785CN");
  CHECK(reply["discrepancy"]["state"] == "closed");
  CHECK(reply["discrepancy"]["note"] == longest);
  CHECK(reply["discrepancy"]["closed_by"] == "clerk-zhao");

  auto nobody = close_as({"-u", "USER"}, "6", "始发站已补发");
  REQUIRE(nobody.exit_code == 0);
  CHECK(json::parse(nobody.out)["discrepancy"]["closed_by"] == "clerk");

  auto rows = RowsIn(data, "closed");
  CHECK(rows[3]["note"] == longest);
  CHECK(rows[3]["closed_by"] == "clerk-zhao");
  CHECK(rows[6]["closed_by"] == "clerk");
  CHECK(rows[6]["changed_ms"] == json::parse(nobody.out)["discrepancy"]["changed_ms"]);
}

TEST_CASE("stationctl discrepancies close says so when stationd is not running", "[integration][cli][discrepancies]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  MakeStation(data);
  auto run = Ctl(data, {"close", "1", "--note", "x"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("stationd is not running"));
  CHECK(Ids(Ctl(data, {"--json", "--state", "closed"})) == std::vector<std::int64_t>{5});
}
