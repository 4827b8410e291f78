// The waybill index lives off the ack path; lookups must still see every
// committed scan, indexed or not yet.

#include <catch2/catch.hpp>

#include "daemon/views/station_view.h"
#include "daemon/storage/store.h"
#include "daemon/storage/waybill_index.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

void Dock(Store& store, const std::string& text) {
  std::vector<IngestItem> items(1);
  items[0].body = HeldBytes::Copy(text);
  auto batch = ReadBatch(items[0].body.view());
  REQUIRE(batch.ok());
  items[0].batch = std::move(*batch);
  REQUIRE(store.Save(items, 1000).ok());
}

std::string BatchText(const std::string& name, const std::string& rows) {
  return "# device=PDA-1 courier=C1 station=571001 batch=" + name +
         "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n" + rows;
}

// A station database in `dir` with two arrivals, both indexed.
void StationWithTwoIndexedScans(const TempDir& dir) {
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  Dock(**store, BatchText("a", "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"
                               "2,ZT7730012345679,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"));
  auto indexer = WaybillIndexer::Open(dir.Path("station.db"), WaybillIndexPath(dir.path()));
  REQUIRE(indexer.ok());
  REQUIRE(*(*indexer)->IndexSome(100) == 2);
}

}  // namespace

TEST_CASE("history finds scans indexed and scans committed since the index last ran", "[store][index]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  Dock(**store, BatchText("a", "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,BG3100010123,,,\n"
                           "2,,unpack,2026-11-24T08:00:00+08:00,,BG3100010123,,,\n"
                           "3,ZT7730099999999,arrival,2026-11-24T07:59:00+08:00,310001,,,,\n"));
  auto indexer = WaybillIndexer::Open(dir.Path("station.db"), WaybillIndexPath(dir.path()));
  REQUIRE(indexer.ok());
  auto n = (*indexer)->IndexSome(100);
  REQUIRE(n.ok());
  CHECK(*n == 3);  // the bag-only scan counts toward the mark, with no entry
  CHECK(*(*indexer)->IndexSome(100) == 0);

  // Committed after the index ran: found through the tail scan.
  Dock(**store, BatchText("b", "1,ZT7730012345678,out_for_delivery,2026-11-24T09:00:00+08:00,,,,,\n"));

  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto history = (*view)->History("ZT7730012345678");
  REQUIRE(history.ok());
  REQUIRE(history->size() == 3);
  CHECK((*history)[0].type == "arrival");
  CHECK((*history)[1].type == "unpack");
  CHECK((*history)[1].bag_scan);
  CHECK((*history)[2].type == "out_for_delivery");
  CHECK((*history)[2].device == "PDA-1");
  CHECK((*history)[2].batch == "b");

  REQUIRE(*(*indexer)->IndexSome(100) == 1);
  auto again = (*view)->History("ZT7730012345678");
  REQUIRE(again.ok());
  CHECK(again->size() == 3);  // the same answer once indexed: no scan twice
}

TEST_CASE("history works without any waybill index file", "[store][index]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  Dock(**store, BatchText("a", "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"));
  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto history = (*view)->History("ZT7730012345678");
  REQUIRE(history.ok());
  CHECK(history->size() == 1);
}

TEST_CASE("a dropped index is rebuilt from the first scan", "[store][index]") {
  TempDir dir;
  StationWithTwoIndexedScans(dir);
  DropWaybillIndex(dir.path());
  auto indexer = WaybillIndexer::Open(dir.Path("station.db"), WaybillIndexPath(dir.path()));
  REQUIRE(indexer.ok());
  CHECK(*(*indexer)->IndexSome(1) == 1);  // chunks: one at a time
  CHECK(*(*indexer)->IndexSome(100) == 1);
}

TEST_CASE("an index found beside another station database is rebuilt, never trusted", "[store][index]") {
  TempDir dir;
  StationWithTwoIndexedScans(dir);
  // A restore puts another database in place; its scan 1 is another parcel.
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove(dir.Path(std::string("station.db") + suffix).c_str());
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  Dock(**store, BatchText("z", "1,ZT7730099999999,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"));

  auto indexer = WaybillIndexer::Open(dir.Path("station.db"), WaybillIndexPath(dir.path()));
  REQUIRE(indexer.ok());
  auto view = StationView::Open(dir.path());
  REQUIRE(view.ok());
  auto stale = (*view)->History("ZT7730012345678");
  REQUIRE(stale.ok());
  CHECK(stale->empty());  // not the new database's scan 1
  CHECK(*(*indexer)->IndexSome(100) == 1);
  auto found = (*view)->History("ZT7730099999999");
  REQUIRE(found.ok());
  CHECK(found->size() == 1);
}
