// The retention decision (daemon/storage/retention.h): which scans a prune may take.

#include <catch2/catch.hpp>

#include "wire/control.h"
#include "daemon/storage/retention.h"
#include "daemon/storage/store.h"
#include "tests/support/temp_dir.h"

using station::kDayMs;
using station::PruneCutoff;
using station::PruneIdCap;

namespace {
constexpr std::int64_t kNow = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
}

TEST_CASE("the prune cutoff is the date asked, never later than the retention period allows", "[retention]") {
  // Asked for a date older than the retention limit: taken as asked.
  auto old = PruneCutoff(kNow - 500 * kDayMs, kNow, 365);
  REQUIRE(old.ok());
  CHECK(*old == kNow - 500 * kDayMs);
  // Asked for yesterday: only what is older than a year may go.
  auto recent = PruneCutoff(kNow - kDayMs, kNow, 365);
  REQUIRE(recent.ok());
  CHECK(*recent == kNow - 365 * kDayMs);
  auto longer = PruneCutoff(kNow - kDayMs, kNow, 730);
  REQUIRE(longer.ok());
  CHECK(*longer == kNow - 730 * kDayMs);
}

TEST_CASE("a prune date in the future or before 2000 is refused with the reason", "[retention]") {
  auto future = PruneCutoff(kNow + 1, kNow, 365);
  REQUIRE_FALSE(future.ok());
  CHECK(future.status().code() == station::Code::kInvalidArgument);
  CHECK_THAT(future.status().message(), Catch::Contains("in the future"));
  auto ancient = PruneCutoff(0, kNow, 365);
  REQUIRE_FALSE(ancient.ok());
  CHECK_THAT(ancient.status().message(), Catch::Contains("2000"));
  CHECK_FALSE(PruneCutoff(kNow - 400 * kDayMs, kNow, 0).ok());
}

TEST_CASE("a prune never goes above national's cursor, the problem desk's, or to the newest scan", "[retention]") {
  // No national link: nothing was ever uploaded, nothing may go.
  CHECK(PruneIdCap(false, 1000, 1000, 2000) == 0);
  // National holds up to 500: not one above it.
  CHECK(PruneIdCap(true, 500, 2000, 2000) == 500);
  // The desk has read up to 300 only.
  CHECK(PruneIdCap(true, 500, 300, 2000) == 300);
  // Everything uploaded and read: all but the newest row (its id must not be reused).
  CHECK(PruneIdCap(true, 2000, 2000, 2000) == 1999);
  CHECK(PruneIdCap(true, 1, 1, 1) == 0);
  CHECK(PruneIdCap(true, 0, 0, 0) == 0);
}

TEST_CASE("prune requests and replies keep every field on the control socket", "[retention]") {
  station::ControlRequest request{"r-prune", "prune", ""};
  request.before_ms = 1'764'518'400'000;
  auto decoded = station::DecodeControlRequest(station::EncodeControlRequest(request));
  REQUIRE(decoded.ok());
  CHECK(decoded->before_ms == 1'764'518'400'000);
  CHECK_FALSE(station::DecodeControlRequest(R"({"v":1,"cmd":"prune","before_ms":"soon"})").ok());
  station::PruneStatus status;
  status.requested = status.completed = 3;
  station::PruneResult r;
  r.scans_removed = 20;
  r.kept_younger = 5;
  r.kept_not_uploaded = 7;
  r.kept_newest = 1;
  r.kept_not_desk_read = 4;
  r.kept_open_discrepancy = 2;
  r.kept_unsettled_parcel = 3;
  r.national_configured = true;
  status.last = r;
  auto reply = station::DecodeControlReply(station::EncodePruneStatus("r", 3, 400, status));
  REQUIRE(reply.ok());
  CHECK(reply->pruner);
  CHECK(reply->prune_ticket == 3);
  CHECK(reply->retention_days == 400);
  REQUIRE(reply->prune.last);
  CHECK(reply->prune.last->scans_removed == 20);
  CHECK(reply->prune.last->kept_younger == 5);
  CHECK(reply->prune.last->kept_not_uploaded == 7);
  CHECK(reply->prune.last->kept_newest == 1);
  CHECK(reply->prune.last->kept_not_desk_read == 4);
  CHECK(reply->prune.last->kept_open_discrepancy == 2);
  CHECK(reply->prune.last->kept_unsettled_parcel == 3);
  CHECK(reply->prune.last->national_configured);
}

// RemoveManifest reads the manifest outside the write lock, a chunk of keys
// at a time, and deletes by key: every old row goes, over several
// transactions, and no young one.
TEST_CASE("a prune removes every manifest row dispatched before the cutoff, chunk by chunk", "[retention]") {
  station::test::TempDir dir;
  const std::string path = dir.Path("station.db");
  auto store = station::Store::Open(path);
  REQUIRE(store.ok());
  const std::int64_t old_ms = kNow - 400 * kDayMs, young_ms = kNow - 10 * kDayMs;
  // 12,001 rows, waybills in key order alternating old and young: the old
  // ones are spread over the whole table, as dispatch times are.
  const std::string fill =
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)"
      " INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, source,"
      " received_ms) SELECT printf('ZT%013d', i), '310001', '571001', 'x', CASE i % 2 WHEN 0 THEN " +
      std::to_string(old_ms) + " ELSE " + std::to_string(young_ms) + " END, 'national', 0 FROM n";
  REQUIRE((*store)->db().Exec(fill.c_str()).ok());
  auto result = station::RunPrune(path, "", kNow - 365 * kDayMs, kNow, 365, true);
  REQUIRE(result.ok());
  CHECK(result->manifest_removed == 6001);
  CHECK(result->transactions == 2);  // 5,000 + 1,001 rows; no empty transaction at the end
  const std::string old_left =
      "SELECT count(*) FROM manifest WHERE dispatched_ms < " + std::to_string(kNow - 365 * kDayMs);
  CHECK(*(*store)->db().QueryInt(old_left.c_str()) == 0);
  CHECK(*(*store)->db().QueryInt("SELECT count(*) FROM manifest") == 6000);
}

// Only settled parcels go, scans and manifest row together (issue 7 point
// 4): a parcel with an open discrepancy, one in the bag of an open missing
// parcel, one with a young scan, and one the problem desk has not read stay
// whole; the rows kept are counted by their reason.
TEST_CASE("a prune takes a parcel's scans and row only when the whole parcel is settled", "[retention]") {
  station::test::TempDir dir;
  const std::string path = dir.Path("station.db");
  auto store = station::Store::Open(path);
  REQUIRE(store.ok());
  const std::int64_t old_ms = kNow - 400 * kDayMs, young_ms = kNow - 10 * kDayMs;
  const std::string old_t = std::to_string(old_ms), young_t = std::to_string(young_ms);
  station::sql::Db& db = (*store)->db();
  REQUIRE(db.Exec("INSERT INTO batches VALUES (1, 'PDA-1', 'b1', 'c', '571001', 0)").ok());
  // Scans by id: 1 W1 (bag B1) settled. 2 W2 (B2): the open missing W3
  // names B2. 3 W4: an open surplus. 4 W5 old, 5 W5 young. 6 W6 (its
  // surplus resolved) and 7 W7: uploaded, not read by the desk.
  const char* rows[][3] = {{"1", "W1", ""}, {"2", "W2", ""}, {"3", "W4", ""}, {"4", "W5", ""},
                           {"5", "W5", "y"}, {"6", "W6", ""}, {"7", "W7", ""}};
  for (const auto& row : rows) {
    const std::string insert = std::string("INSERT INTO scans (id, batch_id, seq, waybill, type, scan_time,") +
                               " scan_time_ms, received_ms, line) VALUES (" + row[0] + ", 1, " + row[0] + ", '" +
                               row[1] + "', 'arrival', 'x', 0, " + (row[2][0] ? young_t : old_t) + ", 1)";
    REQUIRE(db.Exec(insert.c_str()).ok());
  }
  for (const char* m : {"W1,B1", "W2,B2", "W3,B2", "W5,B1", "W6,B1", "W8,B1"}) {
    const std::string w(m, 2), bag(m + 3);
    const std::string insert =
        "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag, source,"
        " received_ms) VALUES ('" + w + "', '310001', '571001', 'x', " + old_t + ", '" + bag + "', 'national', 0)";
    REQUIRE(db.Exec(insert.c_str()).ok());
  }
  const std::string open =
      "INSERT INTO discrepancies (kind, waybill, bag, origin_station, dest_station, count, bag_missing, state,"
      " opened_ms, changed_ms, last_run) VALUES ('missing', 'W3', 'B2', '310001', '571001', 1, 0, 'notified', 0, 0, 1),"
      " ('surplus', 'W4', '', '', '', 1, 0, 'open', 0, 0, 1), ('surplus', 'W6', '', '', '', 1, 0, 'resolved', 0, 0, 1)";
  REQUIRE(db.Exec(open.c_str()).ok());
  REQUIRE(db.Exec("UPDATE uplink_state SET uploaded_upto = 7").ok());
  REQUIRE(db.Exec("UPDATE problem_desk SET scans_upto = 5").ok());

  auto result = station::RunPrune(path, "", kNow - 365 * kDayMs, kNow, 365, true);
  REQUIRE(result.ok());
  CHECK(result->scans_removed == 1);     // W1's
  CHECK(result->manifest_removed == 2);  // W1's and W8's (no scans, no discrepancy)
  CHECK(result->kept_open_discrepancy == 2);  // W2 (its bag), W4
  CHECK(result->kept_unsettled_parcel == 1);  // W5's old scan: its other one is young
  CHECK(result->kept_not_desk_read == 2);     // W6, W7 (uploaded, not yet read by the desk)
  CHECK(result->kept_not_uploaded == 0);
  CHECK(*db.QueryText("SELECT group_concat(id) FROM (SELECT id FROM scans ORDER BY id)") == "2,3,4,5,6,7");
  CHECK(*db.QueryText("SELECT group_concat(waybill) FROM (SELECT waybill FROM manifest ORDER BY waybill)") ==
        "W2,W3,W5,W6");
}
