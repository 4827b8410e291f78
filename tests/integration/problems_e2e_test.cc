// Problem cases end to end (issue 5), with national-sim and two stationd as
// real processes on 127.0.0.1 and stationctl and scanner-dock as the clerks
// and couriers use them: for every reason of DESIGN §4, a gun's problem
// scan at Hangzhou (571001) opens a case, the alert reaches Shanghai
// (310001), which shipped the parcel, Shanghai's clerk answers, and the
// scan that carries the answer out closes the case at Hangzhou, which
// tells Shanghai. Then: the origin offline when the alert is sent, and
// escalation on a controllable clock.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sql/sqlite.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kHere = "571001";
constexpr const char* kOrigin = "310001";


std::string Row(const std::string& waybill, const std::string& type, const std::string& reason = "",
                const std::string& weight = "", const std::string& peer = "") {
  return waybill + "," + type + ",2026-12-01T09:00:00+08:00," + peer + ",," + weight + "," + reason + ",";
}

int Dock(const RunningStation& station, const TempDir& dir, const std::string& name, const std::string& text) {
  return DockText(station.endpoint, dir.Path("spool-" + name), name, text);
}

RunResult Ctl(const std::string& data, const std::vector<std::string>& args) { return RunStationctl(data, args); }

std::string Text(const std::string& data, const std::string& sql) {
  station::sql::OpenOptions read_only;
  read_only.read_only = true;
  read_only.create = false;
  auto db = station::sql::Db::Open(data + "/station.db", read_only);
  if (!db.ok()) return "";
  auto v = db->QueryText(sql.c_str());
  return v.ok() ? *v : "";
}

std::string CaseOf(const std::string& data, const std::string& waybill) {
  return Text(data, "SELECT coalesce(max(case_no), '') FROM problem_cases WHERE waybill = '" + waybill + "'");
}

// Two stations on one national-sim; Hangzhou holds the manifest of what Shanghai shipped it.
struct TwoStations {
  TempDir dir;
  std::string here = dir.Path("hangzhou"), origin = dir.Path("shanghai");
  RunningNational national = StartNational(dir.Path("national"), dir.Path("national.log"));
  std::vector<std::string> link{"--national", national.endpoint, "--national-heartbeat-ms", "200",
                                "--reconcile-every-s", "0"};
  RunningStation hangzhou;
  RunningStation shanghai;

  explicit TwoStations(const std::vector<std::string>& here_extra = {})
      : hangzhou(StartStationd(here, kHere, dir.Path("hangzhou.log"), nullptr, "tcp://127.0.0.1:*", With(here_extra))),
        shanghai(StartStationd(origin, kOrigin, dir.Path("shanghai.log"), nullptr, "tcp://127.0.0.1:*", link)) {}

  std::vector<std::string> With(const std::vector<std::string>& extra) const {
    std::vector<std::string> flags = link;
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }

  void Manifest(const std::vector<std::string>& waybills) {
    std::string csv =
        "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n";
    for (const std::string& w : waybills) csv += w + ",310001,571001,2026-11-30T20:00:00+08:00,BG3100010001,2000,13812345678,西湖区\n";
    WriteFileAtomically(dir.Path("manifest.csv"), csv);
    auto import = Ctl(here, {"manifest", "import", dir.Path("manifest.csv")});
    INFO(import.out << import.err);
    REQUIRE(import.exit_code == 0);
  }
};

}  // namespace

TEST_CASE("every problem reason goes from the gun's scan to the origin's answer and the closing scan",
          "[integration][problems]") {
  TwoStations stations;
  struct Parcel {
    std::string waybill, reason, weight, resolution;
    std::vector<std::string> answer_flags;
    std::string closing_type;  // "" : closed by a clerk
  };
  const std::vector<Parcel> parcels = {
      {"ZT7730000000101", "wrong_phone", "", "new_phone", {"--phone", "13900001111"}, "out_for_delivery"},
      {"ZT7730000000102", "unreachable", "", "retry_later", {}, "out_for_delivery"},
      {"ZT7730000000103", "out_of_area", "", "self_pickup", {}, "signed"},
      {"ZT7730000000104", "refused_pickup", "", "transfer_out", {}, "transferred"},
      {"ZT7730000000105", "address_unclear", "", "new_address", {"--address", "西湖区文三路 90 号 3 单元"},
       "out_for_delivery"},
      {"ZT7730000000106", "damaged", "1960", "rewrap_deliver", {}, "out_for_delivery"},
      {"ZT7730000000107", "damaged", "1200", "claim", {}, ""},
      {"ZT7730000000108", "missent", "", "forward", {}, "dispatch"},
      {"ZT7730000000109", "refused", "", "return_to_sender", {}, "returned"},
  };
  std::vector<std::string> waybills, problem_rows;
  for (const Parcel& p : parcels) {
    waybills.push_back(p.waybill);
    problem_rows.push_back(Row(p.waybill, "arrival", "", "", kOrigin));
    problem_rows.push_back(Row(p.waybill, "problem", p.reason, p.weight));
  }
  stations.Manifest(waybills);
  REQUIRE(Dock(stations.hangzhou, stations.dir, "problems", GunFileWith("PDA-0042", "20261201-0001", problem_rows)) == 0);

  // Each case opens at Hangzhou and its alert reaches Shanghai.
  std::map<std::string, std::string> cases;
  for (const Parcel& p : parcels) {
    INFO(p.waybill << " " << p.reason);
    REQUIRE(WaitFor([&] { return !CaseOf(stations.here, p.waybill).empty(); }, 15s));
    cases[p.waybill] = CaseOf(stations.here, p.waybill);
    REQUIRE(WaitFor([&] {
      return Text(stations.origin, "SELECT coalesce(max(state), '') FROM problem_alerts WHERE case_no = '" +
                                       cases[p.waybill] + "'") == "alerted";
    }, 20s));
  }
  CHECK(Text(stations.here, "SELECT suggestion FROM problem_cases WHERE waybill = 'ZT7730000000106'") == "rewrap_deliver");
  CHECK(Text(stations.here, "SELECT suggestion FROM problem_cases WHERE waybill = 'ZT7730000000107'") == "claim");
  // Shanghai sees the parcel's phone masked.
  CHECK(Text(stations.origin, "SELECT json_extract(body, '$.recipient_phone') FROM problem_alerts WHERE waybill = "
                              "'ZT7730000000101'") == "138****5678");

  // Shanghai's clerk answers each.
  for (const Parcel& p : parcels) {
    std::vector<std::string> args{"alerts", "answer", cases[p.waybill], "--resolution", p.resolution, "--by", "clerk-li"};
    args.insert(args.end(), p.answer_flags.begin(), p.answer_flags.end());
    auto answer = Ctl(stations.origin, args);
    INFO(p.waybill << ": " << answer.out << answer.err);
    CHECK(answer.exit_code == 0);
  }
  for (const Parcel& p : parcels) {
    INFO(p.waybill << " " << p.resolution);
    REQUIRE(WaitFor([&] {
      return Text(stations.here, "SELECT state FROM problem_cases WHERE case_no = '" + cases[p.waybill] + "'") ==
             "answered";
    }, 20s));
  }
  // The new phone reaches Hangzhou in full, for that case only.
  CHECK(Text(stations.here, "SELECT resolution_phone FROM problem_cases WHERE waybill = 'ZT7730000000101'") ==
        "13900001111");
  CHECK(Text(stations.here, "SELECT resolution_address FROM problem_cases WHERE waybill = 'ZT7730000000105'") ==
        "西湖区文三路 90 号 3 单元");

  // The couriers carry the answers out; the claim is closed by a clerk.
  std::vector<std::string> work;
  for (const Parcel& p : parcels) {
    if (!p.closing_type.empty()) work.push_back(Row(p.waybill, p.closing_type, "", "", p.closing_type == "dispatch" ? "200002" : ""));
  }
  REQUIRE(Dock(stations.hangzhou, stations.dir, "work", GunFileWith("PDA-0043", "20261201-0002", work)) == 0);
  auto claim = Ctl(stations.here, {"problems", "close", cases["ZT7730000000107"], "--note", "理赔已受理", "--by", "clerk-wang"});
  INFO(claim.out << claim.err);
  CHECK(claim.exit_code == 0);

  for (const Parcel& p : parcels) {
    INFO(p.waybill << " " << p.resolution);
    const std::string case_no = cases[p.waybill];
    REQUIRE(WaitFor([&] {
      return Text(stations.here, "SELECT state FROM problem_cases WHERE case_no = '" + case_no + "'") == "closed";
    }, 20s));
    // The audit trail, in order, with who closed it and how.
    CHECK(Text(stations.here, "SELECT group_concat(event, ',') FROM (SELECT e.event FROM problem_events e JOIN problem_cases c"
                              " ON c.id = e.case_id WHERE c.case_no = '" + case_no + "' ORDER BY e.id)") ==
          "opened,notified,answered,closed");
    if (p.closing_type.empty()) {
      CHECK(Text(stations.here, "SELECT closed_by FROM problem_cases WHERE case_no = '" + case_no + "'") == "clerk-wang");
      CHECK(Text(stations.here, "SELECT coalesce(closed_by_scan_id, 'manual') FROM problem_cases WHERE case_no = '" +
                                    case_no + "'") == "manual");
    } else {
      CHECK(Text(stations.here, "SELECT s.type FROM problem_cases c JOIN scans s ON s.id = c.closed_by_scan_id"
                                " WHERE c.case_no = '" + case_no + "'") == p.closing_type);
    }
    CHECK(Text(stations.here, "SELECT answered_by FROM problem_cases WHERE case_no = '" + case_no + "'") ==
          "station 310001 (clerk-li)");
    // Shanghai hears it was closed.
    REQUIRE(WaitFor([&] {
      return Text(stations.origin, "SELECT state FROM problem_alerts WHERE case_no = '" + case_no + "'") == "closed";
    }, 20s));
  }
  // Answering a closed case is refused with a clear error.
  auto late = Ctl(stations.origin, {"alerts", "answer", cases["ZT7730000000102"], "--resolution", "redeliver"});
  CHECK(late.exit_code == 1);
  CHECK_THAT(late.err, Catch::Contains("closed"));
  // Every problem scan went up to the national system as a scan.
  CHECK(WaitFor([&] {
    return Text(stations.here, "SELECT CASE WHEN uploaded_upto >= (SELECT max(id) FROM scans) THEN 'up' ELSE '' END"
                               " FROM uplink_state") == "up";
  }, 20s));
}

TEST_CASE("an alert sent while the origin station is down arrives once it is back, once",
          "[integration][problems]") {
  TwoStations stations;
  stations.Manifest({"ZT7730000000201"});
  stations.shanghai.process.Signal(SIGTERM);
  REQUIRE(stations.shanghai.process.Wait(30s) == 0);

  REQUIRE(Dock(stations.hangzhou, stations.dir, "p", GunFileWith("PDA-0042", "20261201-0003",
                                                             {Row("ZT7730000000201", "problem", "wrong_phone")})) == 0);
  // Hangzhou sends it; national holds it in Shanghai's mailbox.
  REQUIRE(WaitFor([&] {
    return Text(stations.here, "SELECT count(*) FROM outbox WHERE kind = 'problem_alert' AND posted_ms IS NOT NULL") == "1";
  }, 20s));
  const std::string case_no = CaseOf(stations.here, "ZT7730000000201");
  CHECK(Text(stations.here, "SELECT state FROM problem_cases") == "notified");

  stations.shanghai = StartStationd(stations.origin, kOrigin, stations.dir.Path("shanghai.log"), nullptr,
                                    "tcp://127.0.0.1:*", stations.link);
  REQUIRE(WaitFor([&] { return Text(stations.origin, "SELECT count(*) FROM problem_alerts") == "1"; }, 20s));
  CHECK(Text(stations.origin, "SELECT case_no FROM problem_alerts") == case_no);

  // Another restart, more syncs: still one alert, answered once.
  stations.shanghai.process.Signal(SIGTERM);
  REQUIRE(stations.shanghai.process.Wait(30s) == 0);
  stations.shanghai = StartStationd(stations.origin, kOrigin, stations.dir.Path("shanghai.log"), nullptr,
                                    "tcp://127.0.0.1:*", stations.link);
  auto answer = Ctl(stations.origin, {"alerts", "answer", case_no, "--resolution", "new_phone", "--phone", "13900002222"});
  INFO(answer.out << answer.err);
  REQUIRE(answer.exit_code == 0);
  auto again = Ctl(stations.origin, {"alerts", "answer", case_no, "--resolution", "redeliver"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("already answered"));
  auto unknown = Ctl(stations.origin, {"alerts", "answer", "571001-20261201-0999", "--resolution", "redeliver"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no alert for case"));
  REQUIRE(WaitFor([&] { return Text(stations.here, "SELECT state FROM problem_cases") == "answered"; }, 20s));
  CHECK(Text(stations.origin, "SELECT count(*) FROM problem_alerts") == "1");
  CHECK(Text(stations.here, "SELECT count(*) FROM problem_events WHERE event = 'answered'") == "1");
}

TEST_CASE("a case nobody answers escalates when the controllable clock passes its deadline",
          "[integration][problems]") {
  TempDir clock_dir;
  const std::string clock = clock_dir.Path("clock");
  const auto set_clock = [&](std::int64_t ms) {
    std::ofstream(clock + ".tmp") << ms;
    fs::rename(clock + ".tmp", clock);
  };
  constexpr std::int64_t kT0 = 1796083200000;  // 2026-12-01T08:00+08:00
  set_clock(kT0);
  TwoStations stations({"--problem-clock-file", clock});
  stations.Manifest({"ZT7730000000301"});
  REQUIRE(Dock(stations.hangzhou, stations.dir, "p", GunFileWith("PDA-0042", "20261201-0004",
                                                             {Row("ZT7730000000301", "problem", "unreachable")})) == 0);
  REQUIRE(WaitFor([&] { return !CaseOf(stations.here, "ZT7730000000301").empty(); }, 15s));
  const std::string case_no = CaseOf(stations.here, "ZT7730000000301");
  CHECK(case_no == "571001-20261201-0001");
  auto none = Ctl(stations.here, {"problems", "--overdue", "--json"});
  REQUIRE(none.exit_code == 0);
  CHECK(nlohmann::json::parse(none.out).empty());

  set_clock(kT0 + 61 * 60'000);  // an hour and a minute: no answer yet
  REQUIRE(WaitFor([&] { return Text(stations.here, "SELECT answer_late FROM problem_cases") == "1"; }, 15s));
  auto overdue = Ctl(stations.here, {"problems", "--overdue", "--json"});
  INFO(overdue.out << overdue.err);
  REQUIRE(overdue.exit_code == 0);
  auto listed = nlohmann::json::parse(overdue.out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["case"] == case_no);
  auto shown = Ctl(stations.here, {"problems", "show", case_no});
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::Contains("escalated"));
  CHECK_THAT(shown.out, Catch::Contains("no answer from origin station 310001 within 60 min"));
  CHECK(Text(stations.here, "SELECT close_late FROM problem_cases") == "0");
  set_clock(kT0 + 25 * 3600'000LL);
  REQUIRE(WaitFor([&] { return Text(stations.here, "SELECT close_late FROM problem_cases") == "1"; }, 15s));
  CHECK(Text(stations.here, "SELECT count(*) FROM problem_events WHERE event = 'escalated'") == "2");
}
