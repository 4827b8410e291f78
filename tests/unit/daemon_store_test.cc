// The scan store: exactly once by (device, batch, seq), conflicts kept
// aside, bad rows quarantined once, all or nothing on a storage error.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "daemon/storage/schema.h"
#include "daemon/storage/store.h"
#include "daemon/uplink/uplink_store.h"
#include "core/iso_time.h"
#include "tests/support/gun_files.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

// As the ingest server does: the item owns the bytes its rows point into.
IngestItem ItemFrom(const std::string& text, const std::string& req = "r") {
  IngestItem item;
  item.req = req;
  item.body = HeldBytes::Copy(text);
  auto batch = ReadBatch(item.body.view());
  REQUIRE(batch.ok());
  item.batch = std::move(*batch);
  return item;
}

template <typename... Item>
std::vector<IngestItem> Items(Item&&... items) {
  std::vector<IngestItem> out;
  (out.push_back(std::forward<Item>(items)), ...);
  return out;
}

std::int64_t Count(Store& store, const char* sql) {
  auto v = store.db().QueryInt(sql);
  REQUIRE(v.ok());
  return *v;
}

const char* kPreamble =
    "# device=PDA-7 courier=C7 station=571001 batch=b7\n"
    "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";

}  // namespace

TEST_CASE("a batch stored twice is stored once and the second ack says duplicates", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::string text = test::MakeGunFile({"PDA-7", "C7", "571001", "b7", 50, 3});
  std::vector<IngestItem> first = Items(ItemFrom(text));
  REQUIRE((*store)->Save(first, 1000).ok());
  CHECK(first[0].ack.ok);
  CHECK(first[0].ack.accepted == 50);
  CHECK(first[0].ack.duplicates == 0);

  std::vector<IngestItem> again = Items(ItemFrom(text), ItemFrom(text));  // re-docked, and resent in the same group
  REQUIRE((*store)->Save(again, 2000).ok());
  CHECK(again[0].ack.accepted == 0);
  CHECK(again[0].ack.duplicates == 50);
  CHECK(again[1].ack.duplicates == 50);
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 50);
  CHECK(Count(**store, "SELECT count(*) FROM docks") == 3);
  // The station's receive time is the first one: a resend does not touch it.
  CHECK(Count(**store, "SELECT max(received_ms) FROM scans") == 1000);
}

TEST_CASE("the same key with different content is a conflict, kept aside, never overwriting", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::vector<IngestItem> first = Items(
      ItemFrom(std::string(kPreamble) + "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"));
  REQUIRE((*store)->Save(first, 1000).ok());
  std::vector<IngestItem> second = Items(
      ItemFrom(std::string(kPreamble) + "1,ZT7730012345678,signed,2026-11-24T09:00:00+08:00,,,,,李四\n"));
  REQUIRE((*store)->Save(second, 2000).ok());
  CHECK(second[0].ack.accepted == 0);
  REQUIRE(second[0].ack.conflicts.size() == 1);
  CHECK(second[0].ack.conflicts[0].seq == 1);
  CHECK(Count(**store, "SELECT count(*) FROM scans WHERE type = 'arrival'") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM quarantine WHERE kind = 'conflict' AND raw LIKE '%李四%'") == 1);
}

TEST_CASE("bad rows are quarantined once with their reason, however often the gun docks", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::string text = std::string(kPreamble) +
                     "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"
                     "2,ZT7730012345679,flying,2026-11-24T07:58:12+08:00,,,,,\n";
  for (int dock = 0; dock < 3; ++dock) {
    std::vector<IngestItem> items = Items(ItemFrom(text));
    REQUIRE((*store)->Save(items, 1000 + dock).ok());
    REQUIRE(items[0].ack.rejected.size() == 1);
    CHECK(items[0].ack.rejected[0].line == 4);
  }
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM quarantine") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM quarantine WHERE reason LIKE '%unknown scan type%' AND line = 4 "
                       "AND device = 'PDA-7' AND raw LIKE '2,ZT7730012345679,flying%'") == 1);
}

TEST_CASE("a batch refused whole is answered with the reason and quarantined", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  IngestItem item;
  item.req = "r1";
  item.refusal = Status::InvalidArgument("batch for station 310001", "this is station 571001");
  item.refused_raw = "# device=PDA-9 courier=C9 station=310001 batch=x";
  item.batch.origin.device = "PDA-9";
  std::vector<IngestItem> items = Items(std::move(item));
  REQUIRE((*store)->Save(items, 1000).ok());
  CHECK_FALSE(items[0].ack.ok);
  CHECK(items[0].ack.code == "InvalidArgument");
  CHECK_THAT(items[0].ack.error, Catch::Contains("310001"));
  CHECK(Count(**store, "SELECT count(*) FROM quarantine WHERE kind = 'batch' AND device = 'PDA-9'") == 1);
}

TEST_CASE("a full disk stores nothing of the group and says so", "[store][fault]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  auto pages = (*store)->db().QueryInt("PRAGMA page_count");
  REQUIRE(pages.ok());
  std::string limit = "PRAGMA max_page_count = " + std::to_string(*pages + 2);
  REQUIRE((*store)->db().Exec(limit.c_str()).ok());
  std::vector<IngestItem> items = Items(ItemFrom(test::MakeGunFile({"PDA-1", "C1", "571001", "b1", 5000, 1})),
                                ItemFrom(test::MakeGunFile({"PDA-2", "C2", "571001", "b2", 10, 2})));
  Status s = (*store)->Save(items, 1000);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Code::kIOError);
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 0);
  CHECK(Count(**store, "SELECT count(*) FROM docks") == 0);
  // Once space is back the same items store normally.
  REQUIRE((*store)->db().Exec("PRAGMA max_page_count = 1000000").ok());
  REQUIRE((*store)->Save(items, 2000).ok());
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 5010);
}

TEST_CASE("a database from a newer stationd is refused, not touched", "[store]") {
  TempDir dir;
  {
    auto db = sql::Db::Open(dir.Path("station.db"));
    REQUIRE(db.ok());
    REQUIRE(db->Exec("PRAGMA user_version = 99").ok());
  }
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.status().message(), Catch::Contains("newer"));
}

TEST_CASE("the store opens with the durable settings and reads them back", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  CHECK(*(*store)->db().QueryText("PRAGMA journal_mode") == "wal");
  CHECK(*(*store)->db().QueryInt("PRAGMA synchronous") == 2);
  CHECK(*(*store)->db().QueryInt("PRAGMA foreign_keys") == 1);
}

TEST_CASE("issue: no read transaction is left open after a save, so checkpoints complete", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::string text = test::MakeGunFile({"PDA-7", "C7", "571001", "b7", 200, 3});
  for (int dock = 0; dock < 2; ++dock) {  // the second dock takes the duplicate path's SELECT too
    std::vector<IngestItem> items = Items(ItemFrom(text));
    REQUIRE((*store)->Save(items, 1000).ok());
  }
  auto other = sql::Db::Open(dir.Path("station.db"));
  REQUIRE(other.ok());
  auto stmt = sql::Stmt::Prepare(*other, "PRAGMA wal_checkpoint(TRUNCATE)");
  REQUIRE(stmt.ok());
  auto row = stmt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  CHECK(stmt->ColumnInt(0) == 0);  // not busy: nothing pins the WAL
  CHECK(stmt->ColumnInt(1) == 0);  // and it was emptied
}

TEST_CASE("a resend that differs in one field is a conflict, compared exactly", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::vector<IngestItem> first = Items(
      ItemFrom(std::string(kPreamble) + "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,1250,,\n"));
  REQUIRE((*store)->Save(first, 1000).ok());
  std::vector<IngestItem> same = Items(
      ItemFrom(std::string(kPreamble) + "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,1250,,\n"));
  REQUIRE((*store)->Save(same, 2000).ok());
  CHECK(same[0].ack.duplicates == 1);
  std::vector<IngestItem> heavier = Items(
      ItemFrom(std::string(kPreamble) + "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,1251,,\n"));
  REQUIRE((*store)->Save(heavier, 3000).ok());
  CHECK(heavier[0].ack.duplicates == 0);
  CHECK(heavier[0].ack.conflicts.size() == 1);
  CHECK(Count(**store, "SELECT weight_g FROM scans") == 1250);
}

TEST_CASE("the same gun batch under another courier is refused as a conflict", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  std::vector<IngestItem> first = Items(ItemFrom(test::MakeGunFile({"PDA-7", "C7", "571001", "b7", 10, 3})));
  REQUIRE((*store)->Save(first, 1000).ok());
  std::vector<IngestItem> other = Items(ItemFrom(test::MakeGunFile({"PDA-7", "C8", "571001", "b7", 10, 3})));
  REQUIRE((*store)->Save(other, 2000).ok());
  CHECK_FALSE(other[0].ack.ok);
  CHECK(other[0].ack.code == "Conflict");
  CHECK_THAT(other[0].ack.error, Catch::Contains("courier C7"));
  CHECK(Count(**store, "SELECT count(*) FROM scans") == 10);
  CHECK(Count(**store, "SELECT count(*) FROM quarantine WHERE kind = 'batch' AND courier = 'C8'") == 1);
}

// Issue 6 point 2: a gun's clock drifts; its scans are kept and flagged.

TEST_CASE("a gun clock off is flagged at the exact bounds: 5 minutes ahead, 365 days behind", "[store][clock]") {
  const std::int64_t now = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
  CHECK(ClockFlagOf(now, now) == ClockFlag::kNone);
  CHECK(ClockFlagOf(now + 5 * 60 * 1000, now) == ClockFlag::kNone);
  CHECK(ClockFlagOf(now + 5 * 60 * 1000 + 1, now) == ClockFlag::kFuture);
  CHECK(ClockFlagOf(now - std::int64_t{365} * 86'400'000, now) == ClockFlag::kNone);
  CHECK(ClockFlagOf(now - std::int64_t{365} * 86'400'000 - 1, now) == ClockFlag::kPast);
  CHECK(std::string(ClockFlagKey(ClockFlag::kFuture)) == "future");
  CHECK(std::string(ClockFlagKey(ClockFlag::kPast)) == "past");
  CHECK(std::string(ClockFlagKey(ClockFlag::kNone)).empty());
}

TEST_CASE("scans with a gun clock off are stored as any other and flagged, a re-dock not counted again",
          "[store][clock]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  const std::int64_t received = 1'796'083'200'000;
  const std::int64_t day = 86'400'000;
  const auto row = [](int seq, std::int64_t ms) {
    return std::to_string(seq) + ",ZT77300123456" + std::to_string(70 + seq) + ",arrival," + FormatIsoInstant(ms) +
           ",310001,,,,\n";
  };
  std::string text = std::string(kPreamble) + row(1, received) + row(2, received + 300'000) +
                     row(3, received + 300'001) + row(4, received - 365 * day) + row(5, received - 365 * day - 1) +
                     row(6, received + 30 * day);
  std::vector<IngestItem> items = Items(ItemFrom(text));
  REQUIRE((*store)->Save(items, received).ok());
  std::vector<IngestItem> again = Items(ItemFrom(text));  // a re-dock: duplicates, not flagged again
  REQUIRE((*store)->Save(again, received + day).ok());
  CHECK(items[0].ack.accepted == 6);
  CHECK(items[0].ack.rejected.empty());
  CHECK(items[0].clock_future == 2);
  CHECK(items[0].clock_past == 1);
  CHECK(again[0].ack.duplicates == 6);
  CHECK(again[0].clock_future + again[0].clock_past == 0);
  CHECK(Count(**store, "SELECT count(*) FROM scans WHERE clock_flag IS NULL AND seq IN (1, 2, 4)") == 3);
  CHECK(Count(**store, "SELECT count(*) FROM scans WHERE clock_flag = 'future' AND seq IN (3, 6)") == 2);
  CHECK(Count(**store, "SELECT count(*) FROM scans WHERE clock_flag = 'past' AND seq = 5") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM scans_full WHERE clock_flag IS NOT NULL AND device = 'PDA-7'") == 3);
}

TEST_CASE("migration 7 flags the scans a station stored before it", "[store][clock]") {
  TempDir dir;
  const std::int64_t received = 1'796'083'200'000;
  {
    auto store = Store::Open(dir.Path("station.db"));
    REQUIRE(store.ok());
    std::string text = std::string(kPreamble) +
                       "1,ZT7730012345678,arrival,2026-12-01T08:00:00+08:00,310001,,,,\n"   // on time
                       "2,ZT7730012345679,arrival,2027-12-01T08:00:00+08:00,310001,,,,\n"   // a year ahead
                       "3,ZT7730012345670,arrival,2020-01-01T08:00:00+08:00,310001,,,,\n";  // years behind
    std::vector<IngestItem> items = Items(ItemFrom(text));
    REQUIRE((*store)->Save(items, received).ok());
    // Back to the schema 6 shape, as a station that stored these before.
    REQUIRE((*store)
                ->db()
                .Exec(R"sql(
      DROP TABLE problem_case_days;  -- migration 8, which runs again
      DROP VIEW scans_full;
      ALTER TABLE scans DROP COLUMN clock_flag;
      CREATE VIEW scans_full AS
        SELECT s.id, b.device, b.batch, s.seq, b.courier, b.station, s.waybill, s.bag, s.type, s.scan_time,
               s.scan_time_ms, s.received_ms, s.peer_station, s.weight_g, s.reason, s.note, s.line
        FROM scans s JOIN batches b ON b.id = s.batch_id;
      PRAGMA user_version = 6;)sql")
                .ok());
  }
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  CHECK(Count(**store, "PRAGMA user_version") == kSchemaVersion);
  CHECK(Count(**store, "SELECT count(*) FROM scans_full WHERE seq = 1 AND clock_flag IS NULL") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM scans_full WHERE seq = 2 AND clock_flag = 'future'") == 1);
  CHECK(Count(**store, "SELECT count(*) FROM scans_full WHERE seq = 3 AND clock_flag = 'past'") == 1);
}

// Regression (issue 7 review): the uplink's Store reopens its connection
// after a storage fault (inside SaveManifest), but UplinkStore kept its
// statements prepared on the old connection, so after one fault every
// upload and sync failed (SQLITE_MISUSE) until stationd was restarted.
TEST_CASE("the uplink store works again after its connection is reopened on a storage fault", "[store][uplink]") {
  TempDir dir;
  const std::string path = dir.Path("station.db");
  auto ingest = Store::Open(path);
  REQUIRE(ingest.ok());
  std::vector<IngestItem> items = Items(ItemFrom(test::MakeGunFile({"PDA-7", "C7", "571001", "b7", 50, 3})));
  REQUIRE((*ingest)->Save(items, 1000).ok());
  auto uplink = UplinkStore::Open(path);
  REQUIRE(uplink.ok());

  // Out of memory for one call: SQLite's heap capped at what it holds now.
  const sqlite3_int64 before = sqlite3_hard_heap_limit64(-1);
  sqlite3_hard_heap_limit64(sqlite3_memory_used() + 1);
  const Status failed = (*uplink)->SetUploadedUpto(10, 1500);
  sqlite3_hard_heap_limit64(before);
  INFO(failed.ToString());
  REQUIRE(!failed.ok());

  // The fault has cleared: a sync (which reopens the connection) and then
  // every prepared statement work again, on the new connection.
  auto applied = (*uplink)->ApplySync(Manifest{}, 0, {}, 2000);
  INFO((applied.ok() ? std::string() : applied.status().ToString()));
  CHECK(applied.ok());
  std::string body;
  int count = 0;
  std::int64_t last_id = 0;
  const Status read = (*uplink)->ReadUpload(0, 100, body, count, last_id);
  INFO(read.ToString());
  CHECK(read.ok());
  CHECK(count == 50);
  CHECK(last_id == 50);
  const Status set = (*uplink)->SetUploadedUpto(50, 3000);
  INFO(set.ToString());
  CHECK(set.ok());
  CHECK(Count(**ingest, "SELECT uploaded_upto FROM uplink_state") == 50);
}
