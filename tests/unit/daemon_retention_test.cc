// The retention decision (daemon/retention.h): which scans a prune may take.

#include <catch2/catch.hpp>

#include "daemon/control_protocol.h"
#include "daemon/retention.h"
#include "daemon/store.h"
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
