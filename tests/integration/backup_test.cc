// Backup and retention (issue 7 point 4) with real processes: a backup
// taken under a steady stream of docks restores to a sound database holding
// every scan acknowledged before the backup began; prune removes only old
// scans national holds.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/sqlite.h"
#include "scanner/iso_time.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kScansPerBatch = 20;

std::string BatchName(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "20261201-%04d", i);
  return name;
}

std::string BatchText(const std::string& device, int i) {
  std::vector<std::string> rows;
  for (int k = 0; k < kScansPerBatch; ++k) {
    rows.push_back(WaybillFor(static_cast<std::uint64_t>(i) * kScansPerBatch + k + 1) +
                   ",arrival,2026-12-01T08:00:00+08:00,310001,,,,");
  }
  return GunFileWith(device, BatchName(i), rows);
}

std::int64_t ScansOfBatch(const std::string& data_dir, const std::string& device, int i) {
  return QueryInt(data_dir, "SELECT count(*) FROM scans s JOIN batches b ON b.id = s.batch_id WHERE b.device = '" +
                                device + "' AND b.batch = '" + BatchName(i) + "'");
}

std::string IntegrityCheck(const std::string& db_path) {
  station::sql::OpenOptions options;
  options.read_only = true;
  auto db = station::sql::Db::Open(db_path, options);
  REQUIRE(db.ok());
  auto check = db->QueryText("PRAGMA integrity_check");
  REQUIRE(check.ok());
  return *check;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("a backup taken under a steady stream of docks restores with every scan acknowledged before it",
          "[integration][backup]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"));
  // An enrolled gun, so keys.db is there to be backed up.
  fs::create_directories(dir.Path("guns"));
  REQUIRE(RunCommand({StationctlPath(), "keys", "create", "PDA-K", "--out", dir.Path("guns")}, 20s).exit_code == 0);
  REQUIRE(RunStationctl(data, {"keys", "enroll", dir.Path("guns/PDA-K.key"), "--gun", "PDA-K"}).exit_code == 0);

  // The stream: one batch after another, each docked by scanner-dock --once;
  // a batch counts as acknowledged before the backup when its dock returned
  // (the ack received and the file filed) before the backup started.
  std::atomic<bool> backup_started{false}, stop{false};
  std::mutex mu;
  std::vector<int> acked_before, acked_after;
  int failed = 0;
  std::thread docker([&] {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int i = 1; i <= 400 && !stop && std::chrono::steady_clock::now() < deadline; ++i) {
      const int rc = DockText(station.endpoint, dir.Path("spool-" + std::to_string(i)), "b", BatchText("PDA-B", i));
      const bool before = !backup_started;
      std::lock_guard<std::mutex> lock(mu);
      if (rc != 0) {
        ++failed;
      } else {
        (before ? acked_before : acked_after).push_back(i);
      }
    }
  });
  const auto count = [&](const std::vector<int>& v) {
    std::lock_guard<std::mutex> lock(mu);
    return v.size();
  };
  const auto wait_for = [&](const std::vector<int>& v, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 40s;
    while (count(v) < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  };
  wait_for(acked_before, 5);
  backup_started = true;
  auto backup = RunStationctl(data, {"backup", dir.Path("backup"), "--json"});
  const std::size_t acked_during = count(acked_after);
  wait_for(acked_after, acked_during + 3);  // docks went on after it too
  stop = true;
  docker.join();
  INFO(backup.err);
  REQUIRE(backup.exit_code == 0);
  auto made = nlohmann::json::parse(backup.out);
  CHECK(made["keys_db"] == true);
  CHECK(failed == 0);
  REQUIRE(acked_before.size() >= 5);
  CHECK(acked_after.size() >= 3);
  // Taking one again into the same folder is refused, not overwritten.
  auto again = RunStationctl(data, {"backup", dir.Path("backup")});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("exists already"));
  auto nowhere = RunStationctl(data, {"backup", dir.Path("no-such-folder/backup")});
  CHECK(nowhere.exit_code == 1);
  CHECK_THAT(nowhere.err, Catch::Contains("does not exist"));
  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(10s) == 0);

  // Restore as docs/operations.md says: the backup's files into an empty
  // data folder, then start stationd on it.
  const std::string restored = dir.Path("restored");
  fs::create_directories(restored);
  fs::copy(dir.Path("backup"), restored, fs::copy_options::recursive);
  CHECK(IntegrityCheck(restored + "/station.db") == "ok");
  auto again_station = StartStationd(restored, "571001", dir.Path("restored.log"));
  CHECK(IntegrityCheck(restored + "/station.db") == "ok");
  std::size_t missing = 0;
  for (int i : acked_before) {
    if (ScansOfBatch(restored, "PDA-B", i) != kScansPerBatch) ++missing;
  }
  std::printf("backup under docks: %zu batches acknowledged before the backup, %zu during and after it; "
              "restored: %zu of the first missing, %lld scans held\n",
              acked_before.size(), acked_after.size(), missing,
              static_cast<long long>(QueryInt(restored, "SELECT count(*) FROM scans")));
  CHECK(missing == 0);
  // The copy is one snapshot: whole batches only (a batch is one commit).
  CHECK(QueryInt(restored, "SELECT count(*) FROM scans") % kScansPerBatch == 0);
  CHECK(made["scans"] == QueryInt(restored, "SELECT count(*) FROM scans"));
  // The guns enrolled at backup time are still let in.
  auto keys = RunStationctl(restored, {"keys", "list"});
  CHECK(keys.exit_code == 0);
  CHECK_THAT(keys.out, Catch::Contains("PDA-K"));
  auto parcel = RunStationctl(
      restored, {"scans", WaybillFor(static_cast<std::uint64_t>(acked_before.front()) * kScansPerBatch + 1), "--json"});
  REQUIRE(parcel.exit_code == 0);
  CHECK(nlohmann::json::parse(parcel.out)["scans"].size() == 1);
  again_station.process.Signal(SIGTERM);
  CHECK(again_station.process.Wait(10s) == 0);
}

TEST_CASE("prune removes old uploaded scans and never an unuploaded or a young one", "[integration][prune]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto national = StartNational(dir.Path("national"), dir.Path("national.log"));
  const std::vector<std::string> link{"--national", national.endpoint, "--national-heartbeat-ms", "200",
                                      "--national-reply-timeout-ms", "500"};
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", link);
  // Batch 1 (old, uploaded), batch 2 (young, uploaded): up at national.
  for (int i : {1, 2}) {
    REQUIRE(DockText(station.endpoint, dir.Path("spool-" + std::to_string(i)), "b", BatchText("PDA-P", i)) == 0);
  }
  auto up = RunStationctl(data, {"upload", "--timeout", "30"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(QueryInt(data, "SELECT uploaded_upto FROM uplink_state") == 2 * kScansPerBatch);
  // National goes away: batch 3 (old, not uploaded) waits in the backlog.
  national.process.Signal(SIGTERM);
  REQUIRE(national.process.Wait(10s) == 0);
  REQUIRE(DockText(station.endpoint, dir.Path("spool-3"), "b", BatchText("PDA-P", 3)) == 0);
  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(10s) == 0);
  REQUIRE(QueryInt(data, "SELECT uploaded_upto FROM uplink_state") == 2 * kScansPerBatch);
  // A year and more passes for batches 1 and 3: the station's receipt time
  // is what retention counts (the gun's clock may be wrong).
  {
    auto db = station::sql::Db::Open(data + "/station.db");
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE scans SET received_ms = received_ms - 400 * 86400000 WHERE batch_id IN"
                     " (SELECT id FROM batches WHERE batch IN ('20261201-0001', '20261201-0003'))")
                .ok());
  }
  station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", link);
  // The problem desk reads every scan before a prune may take it (bounded wait).
  const auto desk_deadline = std::chrono::steady_clock::now() + 20s;
  while (QueryInt(data, "SELECT scans_upto FROM problem_desk") < 3 * kScansPerBatch &&
         std::chrono::steady_clock::now() < desk_deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(QueryInt(data, "SELECT scans_upto FROM problem_desk") == 3 * kScansPerBatch);

  auto future = RunStationctl(data, {"prune", "--before", "2999-01-01"});
  CHECK(future.exit_code == 1);
  CHECK_THAT(future.err, Catch::Contains("in the future"));
  auto not_a_date = RunStationctl(data, {"prune", "--before", "2025-02-30"});
  CHECK(not_a_date.exit_code == 1);
  CHECK_THAT(not_a_date.err, Catch::Contains("not a date"));
  CHECK(QueryInt(data, "SELECT count(*) FROM scans") == 3 * kScansPerBatch);

  // Asked to remove everything received before now: only batch 1 may go.
  const std::string now = station::FormatIsoInstant(NowMs());
  auto pruned = RunStationctl(data, {"prune", "--before", now, "--json"});
  INFO(pruned.err);
  REQUIRE(pruned.exit_code == 0);
  INFO(pruned.out);
  auto r = nlohmann::json::parse(pruned.out);
  CHECK(r["scans_removed"] == kScansPerBatch);
  CHECK(r["kept_younger"] == kScansPerBatch);
  CHECK(r["kept_not_uploaded"] == kScansPerBatch);
  CHECK(r["national_configured"] == true);
  CHECK(ScansOfBatch(data, "PDA-P", 1) == 0);
  CHECK(ScansOfBatch(data, "PDA-P", 2) == kScansPerBatch);
  CHECK(ScansOfBatch(data, "PDA-P", 3) == kScansPerBatch);
  // Exactly the rows above batch 1 remain, the newest among them.
  CHECK(QueryInt(data, "SELECT min(id) FROM scans") == kScansPerBatch + 1);
  CHECK(QueryInt(data, "SELECT max(id) FROM scans") == 3 * kScansPerBatch);
  auto text = RunStationctl(data, {"prune", "--before", now});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("not yet uploaded to national"));
  // The clerk's lookups still work beside the removed scans: a kept one
  // is found, a removed one is gone (the waybill index is joined to scans).
  auto kept = RunStationctl(data, {"scans", WaybillFor(2 * kScansPerBatch + 1), "--json"});
  REQUIRE(kept.exit_code == 0);
  CHECK(nlohmann::json::parse(kept.out)["scans"].size() == 1);
  auto gone = RunStationctl(data, {"scans", WaybillFor(kScansPerBatch + 1), "--json"});
  if (gone.exit_code == 0) CHECK(nlohmann::json::parse(gone.out)["scans"].size() == 0);
  CHECK(IntegrityCheck(data + "/station.db") == "ok");
  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
}
