// The clerk's problem commands (issue 5) through real stationd and
// stationctl processes at one station: `problems` (list, show, open, close)
// and `alerts` (problem alerts, answer). The two-station journey of a case
// is problems_e2e_test.cc's.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "daemon/storage/store.h"
#include "core/iso_time.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* kWaybill = "ZT7730012345678";
constexpr const char* kFullPhone = "13812345678";

// The parcel's manifest row: from Shanghai 310001, recipient 138 1234 5678.
constexpr const char* kManifest =
    "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n"
    "ZT7730012345678,310001,571001,2026-11-23T22:10:00+08:00,BG3100010123,1200,13812345678,西湖区\n";

std::int64_t Ms(const char* iso) {
  auto ms = ParseIsoInstant(iso);
  if (!ms.ok()) throw std::runtime_error(ms.status().ToString());
  return *ms;
}

RunResult Ctl(const std::string& data_dir, const std::vector<std::string>& args) {
  return RunStationctl(data_dir, args);
}

json CtlJson(const std::string& data_dir, std::vector<std::string> args) {
  args.push_back("--json");
  auto run = Ctl(data_dir, args);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  json parsed = json::parse(run.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

// A running stationd 571001 whose manifest holds kWaybill; `extra` flags.
RunningStation ServeStation(const TempDir& dir, const std::string& data, const std::vector<std::string>& extra = {}) {
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", extra);
  WriteFileAtomically(dir.Path("manifest.csv"), kManifest);
  auto import = Ctl(data, {"manifest", "import", dir.Path("manifest.csv")});
  INFO(import.err);
  REQUIRE(import.exit_code == 0);
  return station;
}

// The case number in "opened case 571001-20261201-0001 for ...".
std::string CaseIn(const std::string& out) {
  const std::string marker = "case ";
  const auto at = out.find(marker);
  REQUIRE(at != std::string::npos);
  return out.substr(at + marker.size(), out.find(' ', at + marker.size()) - at - marker.size());
}

}  // namespace

TEST_CASE("a clerk opens a problem case, sees it listed with its audit trail, adds to it and closes it by hand",
          "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);

  auto opened = Ctl(data, {"problems", "open", kWaybill, "--reason", "wrong_phone", "--note", "空号", "--by",
                           "clerk-wang"});
  INFO(opened.err);
  REQUIRE(opened.exit_code == 0);
  const std::string case_no = CaseIn(opened.out);
  CHECK_THAT(case_no, Catch::StartsWith("571001-"));
  CHECK(opened.out == "opened case " + case_no + " for " + kWaybill + " (wrong_phone 电话错误/空号), origin 310001\n");

  // Listed, the recipient's number masked in the table and in JSON.
  auto table = Ctl(data, {"problems"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains(case_no));
  CHECK_THAT(table.out, Catch::Contains("wrong_phone 电话错误/空号"));
  CHECK_THAT(table.out, Catch::Contains("138****5678"));
  CHECK_THAT(table.out, !Catch::Contains(kFullPhone));
  json rows = CtlJson(data, {"problems"});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["case"] == case_no);
  CHECK(rows[0]["waybill"] == kWaybill);
  CHECK(rows[0]["reason"] == "wrong_phone");
  CHECK(rows[0]["reason_label"] == "电话错误/空号");
  CHECK(rows[0]["origin_station"] == "310001");
  CHECK(rows[0]["recipient_phone"] == "138****5678");
  CHECK(rows[0]["escalated"] == false);
  CHECK(rows[0]["next_due"] == "answer");
  CHECK(rows[0]["close_due_ms"].get<std::int64_t>() - rows[0]["opened_ms"].get<std::int64_t>() == 24 * 3600 * 1000);

  // The audit trail starts with the opening, by the clerk.
  json shown = CtlJson(data, {"problems", "show", case_no});
  REQUIRE(shown["events"].size() >= 1);
  CHECK(shown["events"][0]["event"] == "opened");
  CHECK_THAT(shown["events"][0]["actor"].get<std::string>(), Catch::Contains("clerk-wang"));
  CHECK_THAT(shown["events"][0]["detail"].get<std::string>(), Catch::Contains("空号"));
  auto show_text = Ctl(data, {"problems", "show", case_no});
  REQUIRE(show_text.exit_code == 0);
  CHECK_THAT(show_text.out, Catch::Contains("Audit trail (oldest first)"));
  CHECK_THAT(show_text.out, Catch::Contains("opened"));
  CHECK_THAT(show_text.out, Catch::Contains("clerk-wang"));

  // A second report of the parcel adds to its case.
  auto again = Ctl(data, {"problems", "open", kWaybill, "--reason", "unreachable", "--by", "clerk-li"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == "added to case " + case_no + " for " + kWaybill + " (wrong_phone 电话错误/空号), origin 310001\n");
  rows = CtlJson(data, {"problems", "--state", "all"});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["problem_scans"] == 2);
  CHECK(CountScans(data, "type = 'problem'") == 2);  // both uploaded as scans

  // Closed by hand with a note: the trail says so.
  auto closed = Ctl(data, {"problems", "close", case_no, "--note", "已理赔", "--by", "clerk-zhao"});
  INFO(closed.err);
  REQUIRE(closed.exit_code == 0);
  CHECK(closed.out == "closed case " + case_no + " for " + kWaybill + " (by hand)\n");
  CHECK(CtlJson(data, {"problems"}).empty());
  rows = CtlJson(data, {"problems", "--state", "closed"});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["closed_how"] == "clerk");
  CHECK(rows[0]["closed_by"] == "clerk-zhao");
  CHECK(rows[0]["close_note"] == "已理赔");
  shown = CtlJson(data, {"problems", "show", case_no});
  const json& last = shown["events"].back();
  CHECK(last["event"] == "closed");
  CHECK(last["actor"] == "clerk-zhao");
  CHECK_THAT(last["detail"].get<std::string>(), Catch::Contains("manual close"));

  // Closing it again, or a case that does not exist, is refused with stationd's reason.
  auto twice = Ctl(data, {"problems", "close", case_no, "--note", "再关一次"});
  CHECK(twice.exit_code == 1);
  CHECK(twice.out.empty());
  CHECK_THAT(twice.err, Catch::Contains("already closed"));
  CHECK_THAT(twice.err, Catch::Contains("clerk-zhao"));
  auto unknown = Ctl(data, {"problems", "close", "571001-20990101-0001", "--note", "x"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no problem case 571001-20990101-0001"));
  auto unknown_show = Ctl(data, {"problems", "show", "571001-20990101-0001"});
  CHECK(unknown_show.exit_code == 1);
  CHECK_THAT(unknown_show.err, Catch::Contains("no problem case 571001-20990101-0001"));
}

TEST_CASE("stationctl problems refuses a bad reason with stationd's list, and missing flags with exit 2",
          "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);

  auto bad_reason = Ctl(data, {"problems", "open", kWaybill, "--reason", "lost"});
  CHECK(bad_reason.exit_code == 1);
  CHECK(bad_reason.out.empty());
  CHECK_THAT(bad_reason.err, Catch::Contains("reason 'lost'"));
  CHECK_THAT(bad_reason.err, Catch::Contains("wrong_phone, unreachable, out_of_area"));
  CHECK(CountScans(data, "type = 'problem'") == 0);

  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"problems", "open", kWaybill}, "--reason"},
      {{"problems", "open", kWaybill, "--reason", ""}, "--reason"},
      {{"problems", "close", "571001-20261201-0001"}, "--note"},
      {{"problems", "open"}, "usage: problems"},
      {{"problems", "frobnicate", "x"}, "usage: problems"},
      {{"problems", "--state", "escalated"}, "--state 'escalated'"},
      {{"problems", "--reason", "lost"}, "--reason 'lost': use one of wrong_phone"},
      {{"problems", "--limit", "0"}, "--limit"},
      {{"problems", "--force"}, "--force goes with --csv"},
      {{"alerts", "answer", "310001-20261201-0001"}, "--resolution"},
      {{"alerts", "answer"}, "usage: alerts"},
  };
  for (const auto& [args, named] : usage) {
    INFO(args.back());
    auto run = Ctl(data, args);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(named));
  }
  CHECK(CountScans(data, "type = 'problem'") == 0);
  auto help = RunCommand({StationctlPath(), "--help"}, 10s);
  CHECK_THAT(help.out, Catch::Contains("problems open WAYBILL --reason R [--note TEXT] [--by NAME]"));
  CHECK_THAT(help.out, Catch::Contains("problems close CASE --note TEXT [--by NAME]"));
  CHECK_THAT(help.out, Catch::Contains("alerts answer CASE --resolution R"));
}

TEST_CASE("stationctl problems --csv writes every case for Excel and --json parses", "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = ServeStation(dir, data);
  auto opened = Ctl(data, {"problems", "open", kWaybill, "--reason", "damaged", "--note", "外箱破损, \"轻微\""});
  REQUIRE(opened.exit_code == 0);
  const std::string case_no = CaseIn(opened.out);

  const std::string file = dir.Path("problems.csv");
  auto written = Ctl(data, {"problems", "--csv", file});
  INFO(written.err);
  REQUIRE(written.exit_code == 0);
  CHECK(written.out == "1 row written to " + file + "\n");
  std::ifstream in(file, std::ios::binary);
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(csv.rfind("\xEF\xBB\xBF" "case,waybill,reason,reason_label,", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("\r\n" + case_no + "," + kWaybill + ",damaged,破损,310001,"));
  CHECK_THAT(csv, Catch::Contains("\"外箱破损, \"\"轻微\"\"\""));
  CHECK_THAT(csv, Catch::Contains("138****5678"));
  CHECK_THAT(csv, !Catch::Contains(kFullPhone));

  // An existing file is kept unless --force.
  auto refused = Ctl(data, {"problems", "--csv", file});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("add --force"));
  CHECK(Ctl(data, {"problems", "--csv", file, "--force"}).exit_code == 0);

  json rows = CtlJson(data, {"problems", "--reason", "damaged"});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["reference_weight_g"] == 1200);
  CHECK(CtlJson(data, {"problems", "--reason", "wrong_phone"}).empty());
}

TEST_CASE("problems --overdue: stationd's escalation on its clock while it runs, this machine's clock when it does not",
          "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string clock = dir.Path("clock");
  // A month before the machine's time, so only the desk's clock can say "not yet".
  const std::int64_t t0 = Ms("2026-11-01T08:00:00+08:00");
  WriteFileAtomically(clock, std::to_string(t0));
  const std::vector<std::string> flags = {"--problem-clock-file", clock};
  std::string case_no;
  {
    auto station = ServeStation(dir, data, flags);
    auto opened = Ctl(data, {"problems", "open", kWaybill, "--reason", "unreachable"});
    REQUIRE(opened.exit_code == 0);
    case_no = CaseIn(opened.out);
    CHECK_THAT(case_no, Catch::StartsWith("571001-20261101-"));
    CHECK(CtlJson(data, {"problems", "--overdue"}).empty());
    auto none = Ctl(data, {"problems", "--overdue"});
    CHECK_THAT(none.out, Catch::StartsWith("Problem cases not closed, past a deadline: 0"));
  }
  // No stationd to mark it: past its deadlines by this machine's clock.
  json late = CtlJson(data, {"problems", "--overdue"});
  REQUIRE(late.size() == 1);
  CHECK(late[0]["case"] == case_no);
  CHECK(late[0]["escalated"] == false);

  // Two hours on by the desk's clock: no answer within the hour, escalated.
  WriteFileAtomically(clock, std::to_string(t0 + 2 * 3600 * 1000));
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", flags);
  REQUIRE(WaitFor([&] { return CtlJson(data, {"problems", "--overdue"}).size() == 1; }, 20s));
  late = CtlJson(data, {"problems", "--overdue"});
  CHECK(late[0]["escalated"] == true);
  CHECK(late[0]["answer_late"] == true);
  CHECK(late[0]["close_late"] == false);
  CHECK(late[0]["next_due"] == "close");
  auto table = Ctl(data, {"problems", "--overdue"});
  CHECK_THAT(table.out, Catch::Contains(", escalated"));
  json shown = CtlJson(data, {"problems", "show", case_no});
  bool escalated_event = false;
  for (const json& e : shown["events"]) escalated_event = escalated_event || e["event"] == "escalated";
  CHECK(escalated_event);
}

TEST_CASE("the origin station's clerk lists a problem alert and answers it once", "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string alert_case = "571001-20261201-0007";
  {
    // An alert from Hangzhou 571001 about a parcel Shanghai 310001 shipped,
    // as the desk keeps one (the journey between stations: problems_e2e_test).
    std::filesystem::create_directories(data);
    auto store = Store::Open(DatabasePath(data));
    REQUIRE(store.ok());
    const json body = {{"type", "problem_alert"},
                       {"v", 1},
                       {"case", alert_case},
                       {"from", "571001"},
                       {"to", "310001"},
                       {"waybill", kWaybill},
                       {"reason", "wrong_phone"},
                       {"reason_label", "电话错误/空号"},
                       {"opened_ms", Ms("2026-12-01T08:00:00+08:00")},
                       {"note", "空号"},
                       {"answer_due_ms", Ms("2026-12-01T09:00:00+08:00")},
                       {"problem_scans", 1},
                       {"recipient_phone", "138****5678"},
                       {"bag", "BG3100010123"},
                       {"usual_resolutions", {"new_phone"}}};
    auto db = sql::Db::Open(DatabasePath(data));
    REQUIRE(db.ok());
    auto insert = sql::Stmt::Prepare(*db,
                                     "INSERT INTO problem_alerts (case_no, from_station, waybill, reason, body,"
                                     " received_ms, state) VALUES (?1, '571001', ?2, 'wrong_phone', ?3, ?4, 'alerted')");
    REQUIRE(insert.ok());
    insert->Bind(1, alert_case).Bind(2, kWaybill).Bind(3, body.dump()).Bind(4, Ms("2026-12-01T08:00:05+08:00"));
    REQUIRE(insert->Run().ok());
  }
  auto station = StartStationd(data, "310001", dir.Path("stationd.log"));

  auto table = Ctl(data, {"alerts"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains(alert_case));
  CHECK_THAT(table.out, Catch::Contains("wrong_phone 电话错误/空号"));
  CHECK_THAT(table.out, Catch::Contains("138****5678"));
  CHECK_THAT(table.out, Catch::Contains("2026-12-01 09:00:00"));  // answer by
  CHECK_THAT(table.out, Catch::Contains("alerts answer CASE --resolution R"));
  json alerts = CtlJson(data, {"alerts"});
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "problem_alert");
  CHECK(alerts[0]["case"] == alert_case);
  CHECK(alerts[0]["from"] == "571001");
  CHECK(alerts[0]["state"] == "alerted");
  CHECK(alerts[0]["usual_resolutions"] == json::array({"new_phone"}));

  // new_phone without the number, an unknown case, an unknown resolution: refused, nothing sent.
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{alert_case, "--resolution", "new_phone"}, "needs the new number"},
      {{"571001-20990101-0001", "--resolution", "redeliver"}, "no alert for case 571001-20990101-0001"},
      {{alert_case, "--resolution", "shrug"}, "not a resolution (new_phone, new_address, redeliver"},
  };
  for (const auto& [args, named] : refused) {
    INFO(args.front() << " " << args.back());
    std::vector<std::string> words = {"alerts", "answer"};
    words.insert(words.end(), args.begin(), args.end());
    auto run = Ctl(data, words);
    CHECK(run.exit_code == 1);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains(named));
  }
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox WHERE kind = 'problem_answer'") == 0);

  auto answered = Ctl(data, {"alerts", "answer", alert_case, "--resolution", "new_phone", "--phone", "13912340000",
                             "--note", "已联系寄件人", "--by", "clerk-sun"});
  INFO(answered.err);
  REQUIRE(answered.exit_code == 0);
  CHECK(answered.out == "answered case " + alert_case + " with new_phone 更新电话\n");
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox WHERE kind = 'problem_answer' AND to_station = '571001'") == 1);
  alerts = CtlJson(data, {"alerts"});
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["state"] == "answered");
  CHECK(alerts[0]["resolution"] == "new_phone");
  CHECK(alerts[0]["answered_by"] == "clerk-sun");
  // The number went to the reporting station; this station's listing never shows it.
  CHECK_THAT(Ctl(data, {"alerts"}).out, !Catch::Contains("13912340000"));

  auto twice = Ctl(data, {"alerts", "answer", alert_case, "--resolution", "redeliver"});
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Catch::Contains("already answered"));
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox WHERE kind = 'problem_answer'") == 1);
}

TEST_CASE("stationctl problems open says so when stationd is not running", "[integration][cli][problems]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  { auto station = StartStationd(data, "571001", dir.Path("stationd.log")); }  // creates and migrates station.db
  auto run = Ctl(data, {"problems", "open", kWaybill, "--reason", "wrong_phone"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("stationd is not running"));
  auto list = Ctl(data, {"problems"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("Problem cases not closed: 0"));
}
