// StationView::Figures: the monitoring figures, counted by received time
// without an index on it (a binary search on the rowid).

#include <catch2/catch.hpp>

#include "daemon/views/station_view.h"
#include "daemon/storage/store.h"
#include "tests/support/gun_files.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

IngestItem ItemFrom(const std::string& text) {
  IngestItem item;
  item.req = "r";
  item.body = HeldBytes::Copy(text);
  auto batch = ReadBatch(item.body.view());
  REQUIRE(batch.ok());
  item.batch = std::move(*batch);
  return item;
}

void Dock(Store& store, const std::string& batch, int rows, std::int64_t received_ms) {
  std::vector<IngestItem> items;
  items.push_back(ItemFrom(test::MakeGunFile({"PDA-1", "C1", "571001", batch, rows, 7})));
  REQUIRE(store.Save(items, received_ms).ok());
  REQUIRE(items[0].ack.accepted == rows);
}

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kMinute = 60'000;

}  // namespace

TEST_CASE("figures: scans and docks of the last 1, 5 and 15 minutes, and the backlog", "[figures]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  Dock(**store, "b-old", 40, kNow - 60 * kMinute);
  Dock(**store, "b-20m", 50, kNow - 20 * kMinute);
  Dock(**store, "b-10m", 30, kNow - 10 * kMinute);
  Dock(**store, "b-3m", 10, kNow - 3 * kMinute);
  Dock(**store, "b-30s", 5, kNow - 30'000);
  REQUIRE((*store)->db().Exec("UPDATE uplink_state SET uploaded_upto = 60, last_upload_ms = 1234").ok());

  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto f = (*view)->Figures(kNow);
  REQUIRE(f.ok());
  CHECK(f->scans_stored == 135);
  CHECK(f->batches == 5);
  CHECK(f->docks == 5);
  CHECK(f->quarantined == 0);
  CHECK(f->scans_received.last_1m == 5);
  CHECK(f->scans_received.last_5m == 15);
  CHECK(f->scans_received.last_15m == 45);
  CHECK(f->docks_received.last_1m == 1);
  CHECK(f->docks_received.last_5m == 2);
  CHECK(f->docks_received.last_15m == 3);
  CHECK(f->scans_uploaded == 60);
  CHECK(f->upload_backlog == 75);
  CHECK(f->oldest_waiting_ms == kNow - 20 * kMinute);  // scan 61 is the 21st of b-20m
  CHECK(f->last_upload_ms == 1234);
  CHECK(f->outbox_waiting == 0);
  CHECK(f->index_lag == -1);  // no waybill index made in this test
  CHECK(f->problem_cases_open == 0);
  CHECK(f->db_bytes > 0);

  // Later, every window has moved past the docks; nothing is left in them.
  auto later = (*view)->Figures(kNow + 16 * kMinute);
  REQUIRE(later.ok());
  CHECK(later->scans_received.last_15m == 0);
  CHECK(later->scans_stored == 135);
}

TEST_CASE("figures: an empty station has zeros, not errors", "[figures]") {
  TempDir dir;
  REQUIRE(Store::Open(dir.Path("station.db")).ok());
  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto f = (*view)->Figures(kNow);
  REQUIRE(f.ok());
  CHECK(f->scans_stored == 0);
  CHECK(f->scans_received.last_15m == 0);
  CHECK(f->upload_backlog == 0);
  CHECK(f->oldest_waiting_ms == 0);
  CHECK(f->discrepancies_open.empty());
}

TEST_CASE("figures: quarantined rows are counted by received time too", "[figures]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  const std::string preamble =
      "# device=PDA-9 courier=C9 station=571001 batch=bad\n"
      "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  std::vector<IngestItem> items;
  items.push_back(ItemFrom(preamble + "1,not-a-waybill,arrival,2026-11-24T08:00:00+08:00,,,,,\n"
                                      "2,also bad,arrival,2026-11-24T08:00:00+08:00,,,,,\n"));
  REQUIRE((*store)->Save(items, kNow - 2 * kMinute).ok());
  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto f = (*view)->Figures(kNow);
  REQUIRE(f.ok());
  CHECK(f->quarantined == 2);
  CHECK(f->quarantined_received.last_1m == 0);
  CHECK(f->quarantined_received.last_5m == 2);
}
