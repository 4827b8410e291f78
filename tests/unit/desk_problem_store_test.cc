// The problem desk's objects kept for a connection's life, as the desk
// thread keeps them (daemon/desk/desk_pass.h, problem_store.h): statements
// prepared once and reused across passes and transactions; and the
// outbox's one writer (daemon/storage/outbox.h), which the desk posts
// through.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/desk/desk_pass.h"
#include "daemon/storage/outbox.h"
#include "daemon/storage/schema.h"
#include "sql/sqlite.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

constexpr std::int64_t kT0 = 1796083200000;  // 2026-12-01T00:00:00Z
constexpr std::int64_t kMinute = 60'000;
const DeskPassLimits kWhole{1'000'000, std::chrono::hours(1)};

sql::Db OpenStation(const std::string& path) {
  auto db = sql::Db::Open(path);
  REQUIRE(db.ok());
  REQUIRE(MigrateSchema(*db).ok());
  REQUIRE(db->Exec("INSERT INTO batches (id, device, batch, courier, station, received_ms)"
                   " VALUES (1, 'PDA-0042', 'b1', 'C1001', '571001', 0);"
                   "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag,"
                   " declared_weight_g, recipient_phone, source, received_ms) VALUES ('ZT7730000000011', '310001',"
                   " '571001', '2026-11-30T20:00:00+08:00', 0, 'BG1', 1200, '13812345678', 'test', 0)")
              .ok());
  return std::move(*db);
}

void Exec(sql::Db& db, const std::string& sql) {
  INFO(sql);
  REQUIRE(db.Exec(sql.c_str()).ok());
}

std::string Text(sql::Db& db, const char* sql) {
  INFO(sql);
  auto text = db.QueryText(sql);
  REQUIRE(text.ok());
  return *text;
}

}  // namespace

TEST_CASE("one DeskPasses kept across passes takes a case from its scan to its close", "[desk][problems]") {
  TempDir dir;
  sql::Db db = OpenStation(dir.Path("station.db"));
  ProblemSettings settings;
  settings.station = "571001";
  DeskPasses desk(db, settings);
  const auto pass = [&](std::int64_t now) {
    auto p = desk.Run(now, kWhole);
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    return *p;
  };
  Exec(db, "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, reason, line)"
           " VALUES (1, 1, 'ZT7730000000011', 'problem', '2026-12-01T08:00:00+08:00', 0, 0, 'wrong_phone', 3)");
  CHECK(pass(kT0).alerts_sent == 1);
  CHECK(pass(kT0 + kMinute).opened_or_added == 0);  // nothing new: nothing twice
  const nlohmann::json answer = {{"type", "problem_answer"}, {"v", 1},           {"case", "571001-20261201-0001"},
                                 {"to", "571001"},          {"resolution", "redeliver"}};
  Exec(db, "INSERT INTO inbox VALUES (1, '310001', 'm1', 'problem_answer', '" + answer.dump() + "', 0, 0)");
  CHECK(pass(kT0 + 2 * kMinute).messages == 1);
  CHECK(Text(db, "SELECT state FROM problem_cases") == "answered");
  Exec(db, "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, line)"
           " VALUES (1, 2, 'ZT7730000000011', 'out_for_delivery', '2026-12-01T08:00:00+08:00', 0, 0, 4)");
  CHECK(pass(kT0 + 3 * kMinute).closed == 1);
  CHECK(Text(db, "SELECT state FROM problem_cases") == "closed");
  CHECK(Text(db, "SELECT group_concat(msg_id, ' ') FROM (SELECT msg_id FROM outbox ORDER BY id)") ==
        "pa-571001-20261201-0001 pc-571001-20261201-0001");
  // A second case of the same parcel, on the same statements.
  Exec(db, "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, reason, line)"
           " VALUES (1, 3, 'ZT7730000000011', 'problem', '2026-12-01T08:00:00+08:00', 0, 0, 'refused', 5)");
  CHECK(pass(kT0 + 4 * kMinute).opened_or_added == 1);
  CHECK(Text(db, "SELECT max(case_no) FROM problem_cases") == "571001-20261201-0002");
}

TEST_CASE("the outbox queues a message id once and says whether it was new", "[desk][storage]") {
  TempDir dir;
  sql::Db db = OpenStation(dir.Path("station.db"));
  Outbox outbox(db);
  auto first = outbox.Queue({"pa-1", "310001", "problem_alert", "{\"a\":1}"}, kT0);
  REQUIRE(first.ok());
  CHECK(*first);
  auto again = outbox.Queue({"pa-1", "310001", "problem_alert", "{\"a\":2}"}, kT0 + 1);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  auto other = outbox.Queue({"pa-2", "200001", "problem_alert", "{}"}, kT0 + 2);
  REQUIRE(other.ok());
  CHECK(*other);
  CHECK(Text(db, "SELECT group_concat(msg_id || ':' || to_station || ':' || body || ':' || created_ms, ' ')"
                 " FROM (SELECT * FROM outbox ORDER BY id)") ==
        "pa-1:310001:{\"a\":1}:1796083200000 pa-2:200001:{}:1796083200002");
}
