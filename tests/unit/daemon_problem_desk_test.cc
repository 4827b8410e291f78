// The problem desk's passes (daemon/problem_desk.h) over a real station.db,
// with the time given to each pass: a case from a gun's problem scan to
// the origin's answer and the scan that carries it out, at both stations'
// ends; repeats that must change nothing; escalation; the damage rule.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/desk/problem_desk.h"
#include "daemon/desk/problem_store.h"
#include "daemon/storage/schema.h"
#include "sql/sqlite.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

constexpr std::int64_t kT0 = 1796083200000;  // 2026-12-01T00:00:00Z, 08:00 at the station
constexpr std::int64_t kMinute = 60'000;
// Passes here take every scan waiting: a pass's time limit (5 ms by
// default) would make what one pass did depend on the machine's speed
// (the sanitizer build is several times slower). The limits have tests of their own.
const DeskPassLimits kWhole{1'000'000, std::chrono::hours(1)};

ProblemSettings Settings(const std::string& station) {
  ProblemSettings settings;
  settings.station = station;
  return settings;
}

struct StationDb {
  TempDir dir;
  sql::Db db;
  std::int64_t seq = 0;

  static sql::Db Open(const std::string& path) {
    auto db = sql::Db::Open(path);
    REQUIRE(db.ok());
    REQUIRE(MigrateSchema(*db).ok());
    REQUIRE(db->Exec("INSERT INTO batches (id, device, batch, courier, station, received_ms)"
                     " VALUES (1, 'PDA-0042', 'b1', 'C1001', '571001', 0)")
                .ok());
    return std::move(*db);
  }
  StationDb() : db(Open(dir.Path("station.db"))) {}

  void Exec(const std::string& sql) {
    INFO(sql);
    REQUIRE(db.Exec(sql.c_str()).ok());
  }
  std::int64_t Int(const std::string& sql) {
    INFO(sql);
    auto v = db.QueryInt(sql.c_str());
    REQUIRE(v.ok());
    return *v;
  }
  std::string Text(const std::string& sql) {
    INFO(sql);
    auto v = db.QueryText(sql.c_str());
    REQUIRE(v.ok());
    return *v;
  }
  // A gun's scan; weight and reason only when given.
  void Scan(const std::string& waybill, const std::string& type, const std::string& reason = "",
            const std::string& weight = "NULL", const std::string& note = "") {
    ++seq;
    Exec("INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, reason, weight_g, note,"
         " line) VALUES (1, " + std::to_string(seq) + ", '" + waybill + "', '" + type +
         "', '2026-12-01T08:00:00+08:00', 0, 0, " + (reason.empty() ? "NULL" : "'" + reason + "'") + ", " + weight +
         ", " + (note.empty() ? "NULL" : "'" + note + "'") + ", " + std::to_string(seq + 2) + ")");
  }
  void Manifest(const std::string& waybill, const std::string& origin, const std::string& weight = "1200") {
    Exec("INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag,"
         " declared_weight_g, recipient_phone, source, received_ms) VALUES ('" + waybill + "', '" + origin +
         "', '571001', '2026-11-30T20:00:00+08:00', 0, 'BG1', " + weight + ", '13812345678', 'test', 0)");
  }
  // A message in the inbox, as the national sync stores it.
  void Mail(const std::string& from, const std::string& kind, const nlohmann::json& body) {
    const std::int64_t next = Int("SELECT coalesce(max(seq), 0) + 1 FROM inbox");
    auto insert = sql::Stmt::Prepare(db,
                                     "INSERT INTO inbox (seq, from_station, msg_id, kind, body, posted_ms, received_ms)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)");
    REQUIRE(insert.ok());
    insert->Bind(1, next).Bind(2, from).Bind(3, "m" + std::to_string(next)).Bind(4, kind).Bind(5, body.dump());
    REQUIRE(insert->Run().ok());
  }
  DeskPass Pass(const ProblemSettings& settings, std::int64_t now) {
    auto pass = RunDeskPass(db, settings, now, kWhole);
    INFO(pass.status().ToString());
    REQUIRE(pass.ok());
    return *pass;
  }
  nlohmann::json Outbox(const std::string& kind) {
    return nlohmann::json::parse(Text("SELECT body FROM outbox WHERE kind = '" + kind + "' ORDER BY id DESC LIMIT 1"));
  }
};

}  // namespace

TEST_CASE("problem desk: a problem scan's case goes to its origin, is answered, and its scan closes it",
          "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Manifest("ZT7730000000011", "310001");
  here.Scan("ZT7730000000011", "arrival");
  here.Scan("ZT7730000000011", "problem", "wrong_phone");

  DeskPass first = here.Pass(settings, kT0);
  CHECK(first.opened_or_added == 1);
  CHECK(first.alerts_sent == 1);
  CHECK(here.Int("SELECT count(*) FROM problem_cases") == 1);
  const std::string case_no = here.Text("SELECT case_no FROM problem_cases");
  CHECK(case_no == "571001-20261201-0001");
  CHECK(here.Text("SELECT state FROM problem_cases") == "notified");
  CHECK(here.Text("SELECT opened_by FROM problem_cases") == "C1001@PDA-0042");
  auto alert = here.Outbox(kProblemAlert);
  CHECK(alert["case"] == case_no);
  CHECK(alert["to"] == "310001");
  CHECK(alert["reason"] == "wrong_phone");
  CHECK(alert["recipient_phone"] == "138****5678");  // masked for the other station
  CHECK(alert["usual_resolutions"] == nlohmann::json::array({"new_phone"}));
  CHECK(here.Text("SELECT to_station FROM outbox WHERE kind = 'problem_alert'") == "310001");

  // Nothing new: nothing changes, nothing is sent twice.
  DeskPass idle = here.Pass(settings, kT0 + kMinute);
  CHECK(idle.opened_or_added + idle.alerts_sent + idle.closed + idle.messages == 0);
  CHECK(here.Int("SELECT count(*) FROM outbox") == 1);

  // A second problem scan adds to the case.
  here.Scan("ZT7730000000011", "problem", "wrong_phone");
  here.Pass(settings, kT0 + 2 * kMinute);
  CHECK(here.Int("SELECT count(*) FROM problem_cases") == 1);
  CHECK(here.Int("SELECT problem_scans FROM problem_cases") == 2);

  // The origin answers with a new phone; the same answer again changes nothing.
  const nlohmann::json answer = {{"type", "problem_answer"}, {"v", 1}, {"case", case_no},     {"from", "310001"},
                                 {"to", "571001"},          {"resolution", "new_phone"}, {"phone", "13900001111"},
                                 {"by", "clerk-li"}};
  here.Mail("310001", kProblemAnswer, answer);
  here.Mail("310001", kProblemAnswer, answer);
  DeskPass answered = here.Pass(settings, kT0 + 10 * kMinute);
  CHECK(answered.messages == 2);
  CHECK(here.Text("SELECT state FROM problem_cases") == "answered");
  CHECK(here.Text("SELECT resolution_phone FROM problem_cases") == "13900001111");  // in full, for this case
  CHECK(here.Int("SELECT count(*) FROM problem_events WHERE event = 'answered'") == 1);
  CHECK(here.Int("SELECT count(*) FROM problem_events WHERE event LIKE 'answered%'") == 1);

  // A signed scan does not carry out new_phone; out for delivery does.
  here.Scan("ZT7730000000011", "held");
  here.Pass(settings, kT0 + 11 * kMinute);
  CHECK(here.Text("SELECT state FROM problem_cases") == "answered");
  here.Scan("ZT7730000000011", "out_for_delivery");
  DeskPass closed = here.Pass(settings, kT0 + 12 * kMinute);
  CHECK(closed.closed == 1);
  CHECK(here.Text("SELECT state FROM problem_cases") == "closed");
  CHECK(here.Int("SELECT closed_by_scan_id FROM problem_cases") == here.Int("SELECT max(id) FROM scans"));
  auto closed_msg = here.Outbox(kProblemClosed);
  CHECK(closed_msg["how"] == "scan");
  CHECK(closed_msg["to"] == "310001");
  // The audit trail, in order.
  CHECK(here.Text("SELECT group_concat(event, ',') FROM (SELECT event FROM problem_events ORDER BY id)") ==
        "opened,notified,scanned_again,answered,closed");

  // A new problem scan after the close opens a new case.
  here.Scan("ZT7730000000011", "problem", "unreachable");
  here.Pass(settings, kT0 + 13 * kMinute);
  CHECK(here.Int("SELECT count(*) FROM problem_cases") == 2);
  CHECK(here.Text("SELECT case_no FROM problem_cases ORDER BY id DESC LIMIT 1") == "571001-20261201-0002");
}

TEST_CASE("problem desk: answers that cannot apply change nothing", "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Manifest("ZT7730000000012", "310001");
  here.Scan("ZT7730000000012", "problem", "refused");
  here.Pass(settings, kT0);
  const std::string case_no = here.Text("SELECT case_no FROM problem_cases");
  const auto answer = [&](const std::string& from, const std::string& which, const std::string& resolution) {
    return nlohmann::json{{"type", "problem_answer"}, {"v", 1}, {"case", which}, {"from", from}, {"to", "571001"},
                          {"resolution", resolution}};
  };
  here.Mail("200002", kProblemAnswer, answer("200002", case_no, "return_to_sender"));     // not its origin
  here.Mail("310001", kProblemAnswer, answer("310001", "571001-20261201-0099", "redeliver"));  // no such case
  here.Mail("310001", kProblemAnswer, answer("310001", case_no, "fly_it_home"));           // not a resolution
  here.Mail("310001", kProblemAnswer, nlohmann::json::array({1, 2}));                     // not a message
  here.Pass(settings, kT0 + kMinute);
  CHECK(here.Text("SELECT state FROM problem_cases") == "notified");
  CHECK(here.Int("SELECT problem_desk.inbox_upto FROM problem_desk") == 4);  // each looked at once
  // The clerk closes it by hand; an answer after that changes nothing.
  REQUIRE(CloseCaseByClerk(here.db, settings, case_no, "sender collected it", "clerk-wang", kT0 + 2 * kMinute).ok());
  CHECK(CloseCaseByClerk(here.db, settings, case_no, "again", "clerk-wang", kT0).code() == Code::kConflict);
  CHECK(CloseCaseByClerk(here.db, settings, "571001-20261201-0099", "x", "clerk-wang", kT0).code() == Code::kNotFound);
  CHECK(CloseCaseByClerk(here.db, settings, case_no, "", "clerk-wang", kT0).code() == Code::kInvalidArgument);
  here.Mail("310001", kProblemAnswer, answer("310001", case_no, "return_to_sender"));
  here.Pass(settings, kT0 + 3 * kMinute);
  CHECK(here.Text("SELECT state FROM problem_cases") == "closed");
  CHECK(here.Text("SELECT coalesce(resolution, '') FROM problem_cases") == "");
  CHECK(here.Text("SELECT detail FROM problem_events WHERE event = 'closed'").rfind("closed by hand (manual close)", 0) == 0);
  CHECK(here.Outbox(kProblemClosed)["how"] == "clerk");
}

TEST_CASE("problem desk: late cases are escalated once for each deadline", "[problems][desk]") {
  StationDb here;
  ProblemSettings settings = Settings("571001");
  here.Manifest("ZT7730000000013", "310001");
  here.Scan("ZT7730000000013", "problem", "out_of_area");
  here.Pass(settings, kT0);
  CHECK(here.Pass(settings, kT0 + 60 * kMinute).escalated == 0);  // exactly at the deadline: not late
  CHECK(here.Pass(settings, kT0 + 61 * kMinute).escalated == 1);
  CHECK(here.Int("SELECT answer_late FROM problem_cases") == 1);
  CHECK(here.Int("SELECT close_late FROM problem_cases") == 0);
  CHECK(here.Pass(settings, kT0 + 62 * kMinute).escalated == 0);
  CHECK(here.Pass(settings, kT0 + 24 * 60 * kMinute + 1).escalated == 1);
  CHECK(here.Int("SELECT close_late FROM problem_cases") == 1);
  CHECK(here.Int("SELECT count(*) FROM problem_events WHERE event = 'escalated'") == 2);
  CHECK(here.Text("SELECT detail FROM problem_events WHERE event = 'escalated' ORDER BY id LIMIT 1") ==
        "no answer from origin station 310001 within 60 min");
}

TEST_CASE("problem desk: a damaged parcel is weighed against its declared weight", "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Manifest("ZT7730000000014", "310001", "2000");
  here.Manifest("ZT7730000000015", "310001", "2000");
  here.Scan("ZT7730000000014", "problem", "damaged", "1950");  // within 100 g (5 %)
  here.Scan("ZT7730000000015", "problem", "damaged", "1400");  // 600 g short
  here.Pass(settings, kT0);
  CHECK(here.Text("SELECT suggestion FROM problem_cases WHERE waybill = 'ZT7730000000014'") == "rewrap_deliver");
  CHECK(here.Text("SELECT suggestion FROM problem_cases WHERE waybill = 'ZT7730000000015'") == "claim");
  CHECK(here.Int("SELECT reference_weight_g FROM problem_cases WHERE waybill = 'ZT7730000000015'") == 2000);
  auto alert = here.Outbox(kProblemAlert);
  CHECK(alert.contains("suggestion"));
}

TEST_CASE("problem desk: the origin keeps each alert once and answers it once", "[problems][desk]") {
  StationDb origin;
  const ProblemSettings settings = Settings("310001");
  const nlohmann::json alert = {{"type", "problem_alert"}, {"v", 1}, {"case", "571001-20261201-0001"},
                                {"from", "571001"},       {"to", "310001"}, {"waybill", "ZT7730000000011"},
                                {"reason", "wrong_phone"}};
  // Another station cannot take 571001's case number first (national
  // vouches for the sender; the number names its station).
  nlohmann::json forged = alert;
  forged["from"] = "200001";
  forged["waybill"] = "ZT7730000000099";
  origin.Mail("200001", kProblemAlert, forged);
  origin.Mail("571001", kProblemAlert, alert);
  origin.Mail("571001", kProblemAlert, alert);  // delivered twice
  origin.Pass(settings, kT0);
  CHECK(origin.Int("SELECT count(*) FROM problem_alerts") == 1);
  CHECK(origin.Text("SELECT state FROM problem_alerts") == "alerted");
  CHECK(origin.Text("SELECT from_station FROM problem_alerts") == "571001");
  CHECK(origin.Text("SELECT waybill FROM problem_alerts") == "ZT7730000000011");

  ProblemAnswer answer{"571001-20261201-0001", "new_phone", "", "", "", "clerk-li"};
  CHECK(AnswerAlert(origin.db, settings, answer, kT0).code() == Code::kInvalidArgument);  // no phone
  answer.phone = "12ab";
  CHECK(AnswerAlert(origin.db, settings, answer, kT0).code() == Code::kInvalidArgument);
  answer.phone = "13900001111";
  answer.resolution = "teleport";
  CHECK(AnswerAlert(origin.db, settings, answer, kT0).code() == Code::kInvalidArgument);
  answer.resolution = "new_phone";
  REQUIRE(AnswerAlert(origin.db, settings, answer, kT0).ok());
  auto sent = origin.Outbox(kProblemAnswer);
  CHECK(sent["to"] == "571001");
  CHECK(sent["phone"] == "13900001111");
  CHECK(AnswerAlert(origin.db, settings, answer, kT0).code() == Code::kConflict);  // answered already
  ProblemAnswer unknown = answer;
  unknown.case_no = "571001-20261201-0042";
  CHECK(AnswerAlert(origin.db, settings, unknown, kT0).code() == Code::kNotFound);

  // Nor close it.
  origin.Mail("200001", kProblemClosed,
              {{"type", "problem_closed"}, {"v", 1}, {"case", "571001-20261201-0001"}, {"from", "200001"}, {"to", "310001"}});
  origin.Pass(settings, kT0 + kMinute / 2);
  CHECK(origin.Text("SELECT state FROM problem_alerts") == "answered");
  // The reporting station closed it: the origin hears so, and cannot answer again.
  origin.Mail("571001", kProblemClosed,
              {{"type", "problem_closed"}, {"v", 1}, {"case", "571001-20261201-0001"}, {"from", "571001"}, {"to", "310001"}});
  origin.Pass(settings, kT0 + kMinute);
  CHECK(origin.Text("SELECT state FROM problem_alerts") == "closed");
}

TEST_CASE("problem desk: a clerk's case is stored as a scan and not counted twice", "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Manifest("ZT7730000000016", "310001");
  auto opened = OpenCaseByClerk(here.db, settings, "ZT7730000000016", "address_unclear", "门牌号缺失", "clerk-wang", kT0);
  REQUIRE(opened.ok());
  CHECK(here.Int("SELECT count(*) FROM scans_full WHERE device = 'CLERK' AND type = 'problem'") == 1);
  auto again = OpenCaseByClerk(here.db, settings, "ZT7730000000016", "address_unclear", "", "clerk-zhao", kT0);
  REQUIRE(again.ok());
  CHECK(*again == *opened);
  here.Pass(settings, kT0 + kMinute);
  CHECK(here.Int("SELECT count(*) FROM problem_cases") == 1);
  CHECK(here.Int("SELECT problem_scans FROM problem_cases") == 2);
  CHECK(here.Int("SELECT count(*) FROM scans WHERE type = 'problem'") == 2);
  CHECK(OpenCaseByClerk(here.db, settings, "ZT77", "damaged", "", "clerk", kT0).status().code() == Code::kInvalidArgument);
  CHECK(OpenCaseByClerk(here.db, settings, "ZT7730000000017", "lost_in_space", "", "clerk", kT0).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("problem desk: a case opened before its manifest row came learns its origin and is alerted then",
          "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Scan("ZT7730000000018", "problem", "wrong_phone", "NULL", "13812345678 空号, 已联系寄件人");
  DeskPass first = here.Pass(settings, kT0);
  CHECK(first.opened_or_added == 1);
  CHECK(first.alerts_sent == 0);  // no origin known: nobody to tell
  CHECK(here.Text("SELECT state FROM problem_cases") == "open");
  CHECK(here.Text("SELECT origin_station FROM problem_cases") == "");
  CHECK(here.Pass(settings, kT0 + kMinute).alerts_sent == 0);

  here.Manifest("ZT7730000000018", "310001");  // a late sync, or a national lookup
  CHECK(here.Pass(settings, kT0 + 2 * kMinute).alerts_sent == 1);
  CHECK(here.Text("SELECT origin_station FROM problem_cases") == "310001");
  CHECK(here.Text("SELECT state FROM problem_cases") == "notified");
  CHECK(here.Int("SELECT count(*) FROM problem_events WHERE event = 'origin_found'") == 1);
  // The courier typed the number into the note: it leaves the station masked.
  CHECK(here.Outbox(kProblemAlert)["note"] == "138****5678 空号, 已联系寄件人");
  CHECK(here.Text("SELECT note FROM problem_cases") == "13812345678 空号, 已联系寄件人");  // kept whole here
}

TEST_CASE("problem desk: a parcel picked up here and not manifested has this station as its origin",
          "[problems][desk]") {
  StationDb here;
  const ProblemSettings settings = Settings("571001");
  here.Scan("ZT7730000000019", "pickup", "", "2000");
  here.Scan("ZT7730000000019", "problem", "damaged", "1500");
  here.Pass(settings, kT0);
  CHECK(here.Text("SELECT origin_station FROM problem_cases") == "571001");
  CHECK(here.Int("SELECT reference_weight_g FROM problem_cases") == 2000);  // weighed at pickup
  CHECK(here.Text("SELECT suggestion FROM problem_cases") == "claim");
  CHECK(here.Text("SELECT detail FROM problem_events WHERE event = 'opened'").find("571001 (picked up here)") !=
        std::string::npos);
  // The alert is this station's own: kept here at once, nothing sent out.
  CHECK(here.Text("SELECT state FROM problem_cases") == "notified");
  CHECK(here.Int("SELECT count(*) FROM problem_alerts WHERE from_station = '571001'") == 1);
  CHECK(here.Int("SELECT count(*) FROM outbox") == 0);
  const std::string case_no = here.Text("SELECT case_no FROM problem_cases");
  // Its clerk answers as the origin; the answer applies here at once too.
  REQUIRE(AnswerAlert(here.db, settings, {case_no, "claim", "", "", "寄件人申请理赔", "clerk-li"}, kT0 + kMinute).ok());
  CHECK(here.Text("SELECT state FROM problem_cases") == "answered");
  REQUIRE(CloseCaseByClerk(here.db, settings, case_no, "理赔已受理", "clerk-wang", kT0 + 2 * kMinute).ok());
  CHECK(here.Text("SELECT state FROM problem_alerts") == "closed");
  CHECK(here.Int("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("problem desk: a backlog of problem scans is worked off in passes of bounded size, numbered in order",
          "[problems][desk]") {
  StationDb s;
  // More new cases than one pass takes: the first pass must stop at its
  // limit (so the docks get the write lock in between) and say so.
  constexpr int kCases = 600;
  for (int i = 0; i < kCases; ++i) s.Scan("ZT77" + std::to_string(30000000000 + i), "problem", "wrong_phone");
  int passes = 0, opened = 0;
  const DeskPassLimits by_count{256, std::chrono::hours(1)};  // no time limit here: counts are exact
  for (bool more = true; more && passes < 10; ++passes) {
    auto pass = RunDeskPass(s.db, Settings("571001"), kT0, by_count);
    REQUIRE(pass.ok());
    CHECK(pass->opened_or_added <= 256);
    opened += pass->opened_or_added;
    more = pass->more;
  }
  CHECK(passes == 3);  // 256 + 256 + 88
  CHECK(opened == kCases);
  CHECK(s.Int("SELECT count(*) FROM problem_cases") == kCases);
  CHECK(s.Text("SELECT max(case_no) FROM problem_cases") == "571001-20261201-0600");
  CHECK(s.Int("SELECT last_no FROM problem_case_days WHERE day = '571001-20261201-'") == kCases);
  // Nothing opened twice when the desk runs again.
  auto again = RunDeskPass(s.db, Settings("571001"), kT0, kWhole);
  REQUIRE(again.ok());
  CHECK(again->opened_or_added == 0);
  CHECK_FALSE(again->more);
}

TEST_CASE("problem desk: case numbers go on from the cases a station had before the day counter (migration 8)",
          "[problems][desk]") {
  StationDb s;
  s.Scan("ZT7730012345679", "problem", "wrong_phone");
  s.Scan("ZT7730012345680", "problem", "damaged");
  REQUIRE(RunDeskPass(s.db, Settings("571001"), kT0, kWhole).ok());
  // Back to schema 7: no counter table; migration 8 rebuilds it from the cases.
  s.Exec("DROP TABLE problem_case_days; PRAGMA user_version = 7");
  REQUIRE(MigrateSchema(s.db).ok());
  CHECK(s.Int("SELECT last_no FROM problem_case_days WHERE day = '571001-20261201-'") == 2);
  s.Scan("ZT7730012345691", "problem", "refused");
  REQUIRE(RunDeskPass(s.db, Settings("571001"), kT0 + kMinute, kWhole).ok());
  CHECK(s.Text("SELECT case_no FROM problem_cases WHERE waybill = 'ZT7730012345691'") == "571001-20261201-0003");
  // The next day starts again at 0001.
  s.Scan("ZT7730012345702", "problem", "refused");
  REQUIRE(RunDeskPass(s.db, Settings("571001"), kT0 + 24 * 60 * kMinute, kWhole).ok());
  CHECK(s.Text("SELECT case_no FROM problem_cases WHERE waybill = 'ZT7730012345702'") == "571001-20261202-0001");
}

TEST_CASE("problem desk: a pass stops taking scans once its time is spent, and the next goes on from there",
          "[problems][desk]") {
  StationDb s;
  for (int i = 0; i < 5; ++i) s.Scan("ZT77" + std::to_string(30000000000 + i), "problem", "wrong_phone");
  // No time at all: one scan a pass, so a backlog still moves.
  const DeskPassLimits no_time{256, std::chrono::milliseconds(0)};
  for (int i = 1; i <= 4; ++i) {
    auto pass = RunDeskPass(s.db, Settings("571001"), kT0, no_time);
    REQUIRE(pass.ok());
    CHECK(pass->opened_or_added == 1);
    CHECK(pass->more);
    CHECK(s.Int("SELECT count(*) FROM problem_cases") == i);
  }
  auto last = RunDeskPass(s.db, Settings("571001"), kT0, no_time);
  REQUIRE(last.ok());
  CHECK(last->opened_or_added == 1);
  CHECK_FALSE(last->more);
  CHECK(s.Int("SELECT count(*) FROM problem_cases") == 5);
  CHECK(s.Int("SELECT scans_upto FROM problem_desk") == s.Int("SELECT max(id) FROM scans"));
}
