// The upload backlog (daemon/storage/upload_backlog.h): the one place the
// scans above the upload cursor are counted and their oldest dated.

#include <catch2/catch.hpp>

#include "daemon/storage/store.h"
#include "daemon/storage/upload_backlog.h"
#include "tests/support/gun_files.h"
#include "tests/support/temp_dir.h"

using namespace station;
using station::test::TempDir;

namespace {

void Dock(Store& store, const std::string& batch, int rows, std::int64_t received_ms) {
  const std::string text = test::MakeGunFile({"PDA-1", "C1", "571001", batch, rows, 7});
  std::vector<IngestItem> items(1);
  items[0].req = "r";
  items[0].body = HeldBytes::Copy(text);
  auto read = ReadBatch(items[0].body.view());
  REQUIRE(read.ok());
  items[0].batch = std::move(*read);
  REQUIRE(store.Save(items, received_ms).ok());
}

}  // namespace

TEST_CASE("upload backlog: the scans above the cursor, how many, and the oldest one's age", "[storage]") {
  TempDir dir;
  auto store = Store::Open(dir.Path("station.db"));
  REQUIRE(store.ok());
  sql::Db& db = (*store)->db();

  SECTION("an empty station has nothing waiting") {
    auto backlog = ReadUploadBacklog(db);
    REQUIRE(backlog.ok());
    CHECK(backlog->newest_scan_id == 0);
    CHECK(backlog->uploaded_upto == 0);
    CHECK(backlog->last_upload_ms == 0);
    CHECK(backlog->oldest_waiting_ms == 0);
    CHECK(backlog->scans() == 0);
    auto oldest = OldestWaitingReceivedMs(db, 0);
    REQUIRE(oldest.ok());
    CHECK_FALSE(oldest->has_value());
  }

  SECTION("scans above the cursor wait; the oldest is the first above it") {
    Dock(**store, "b-1", 20, 1000);
    Dock(**store, "b-2", 30, 2000);
    REQUIRE(db.Exec("UPDATE uplink_state SET uploaded_upto = 25, last_upload_ms = 1500").ok());
    auto backlog = ReadUploadBacklog(db);
    REQUIRE(backlog.ok());
    CHECK(backlog->newest_scan_id == 50);
    CHECK(backlog->uploaded_upto == 25);
    CHECK(backlog->last_upload_ms == 1500);
    CHECK(backlog->oldest_waiting_ms == 2000);  // scan 26 came with b-2
    CHECK(backlog->scans() == 25);
    auto oldest = OldestWaitingReceivedMs(db, 10);
    REQUIRE(oldest.ok());
    CHECK(oldest->value_or(0) == 1000);
  }

  SECTION("everything uploaded leaves nothing waiting") {
    Dock(**store, "b-1", 20, 1000);
    REQUIRE(db.Exec("UPDATE uplink_state SET uploaded_upto = 20, last_upload_ms = 3000").ok());
    auto backlog = ReadUploadBacklog(db);
    REQUIRE(backlog.ok());
    CHECK(backlog->scans() == 0);
    CHECK(backlog->oldest_waiting_ms == 0);
    auto oldest = OldestWaitingReceivedMs(db, 20);
    REQUIRE(oldest.ok());
    CHECK_FALSE(oldest->has_value());
  }
}
