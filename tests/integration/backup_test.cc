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

#include "core/clock.h"
#include "sql/sqlite.h"
#include "core/iso_time.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/integrity.h"
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
  const std::string now = station::FormatIsoInstant(station::NowMs());
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
  INFO(gone.err);
  REQUIRE(gone.exit_code == 0);
  CHECK(nlohmann::json::parse(gone.out)["scans"].size() == 0);
  CHECK(IntegrityCheck(data + "/station.db") == "ok");
  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
}

namespace {

constexpr const char* kManifestHeader =
    "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n";

std::string ManifestRow(const std::string& waybill, const std::string& bag) {
  return waybill + ",310001,571001,2020-01-01T08:00:00+08:00," + bag + ",1200,13812345678,西湖区\n";
}

std::string Arrival(const std::string& waybill) { return waybill + ",arrival,2026-12-01T08:00:00+08:00,310001,,,,"; }

nlohmann::json ReconcileNow(const std::string& data) {
  auto r = RunStationctl(data, {"reconcile", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

std::string AllDiscrepancies(const std::string& data) {
  auto r = RunStationctl(data, {"discrepancies", "--state", "all", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

std::int64_t RowsOf(const std::string& data, const std::string& table, const std::string& waybill) {
  return QueryInt(data, "SELECT count(*) FROM " + table + " WHERE waybill = '" + waybill + "'");
}

}  // namespace

// Issue 7 point 4: the reconciler's ledger is incremental and was never told
// of removed scans; removing the rows after them made false surpluses (or,
// after a full reload in between, false missing parcels). A prune takes only
// settled parcels, whole, and the reconciler reads everything after it.
TEST_CASE("prune takes only settled parcels whole, and reconciliation finds nothing new after it",
          "[integration][prune][reconcile]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  auto national = StartNational(dir.Path("national"), dir.Path("national.log"));
  const std::vector<std::string> args{"--national", national.endpoint, "--national-heartbeat-ms", "200",
                                      "--national-reply-timeout-ms", "500", "--reconcile-every-s", "0"};
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", args);
  // A1, A2 arrive (settled). M1 never arrives (missing); M2, in its bag,
  // arrives. S1 arrives unmanifested (surplus); it is also the newest scan.
  const std::string a1 = WaybillFor(901), a2 = WaybillFor(902), m1 = WaybillFor(903), m2 = WaybillFor(904),
                    s1 = WaybillFor(905);
  WriteFileAtomically(dir.Path("manifest.csv"), std::string(kManifestHeader) + ManifestRow(a1, "BG3100010001") +
                                                    ManifestRow(a2, "BG3100010001") + ManifestRow(m1, "BG3100010002") +
                                                    ManifestRow(m2, "BG3100010002"));
  auto import = RunStationctl(data, {"manifest", "import", dir.Path("manifest.csv")});
  INFO(import.out << import.err);
  REQUIRE(import.exit_code == 0);
  REQUIRE(DockText(station.endpoint, dir.Path("spool-1"), "b",
                   GunFileWith("PDA-R", "20261201-0001", {Arrival(a1), Arrival(a2), Arrival(m2), Arrival(s1)})) == 0);
  auto up = RunStationctl(data, {"upload", "--timeout", "30"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  auto first = ReconcileNow(data);
  CHECK(first["found"]["missing"] == 1);
  CHECK(first["found"]["surplus"] == 1);
  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(10s) == 0);
  {
    auto db = station::sql::Db::Open(data + "/station.db");
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE scans SET received_ms = received_ms - 400 * 86400000").ok());
  }
  station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", args);
  const auto desk_deadline = std::chrono::steady_clock::now() + 20s;
  while (QueryInt(data, "SELECT scans_upto FROM problem_desk") < 4 && std::chrono::steady_clock::now() < desk_deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(QueryInt(data, "SELECT scans_upto FROM problem_desk") == 4);
  // The reconciler holds every parcel in its ledger when the prune comes.
  auto loaded = ReconcileNow(data);
  CHECK(loaded["full"] == true);
  CHECK(loaded["opened"] == 0);
  CHECK(loaded["resolved"] == 0);
  const std::string before = AllDiscrepancies(data);
  const auto lookups_before = QueryInt(data, "SELECT count(*) FROM national_lookups");
  const auto outbox_before = QueryInt(data, "SELECT count(*) FROM outbox");

  auto pruned = RunStationctl(data, {"prune", "--before", station::FormatIsoInstant(station::NowMs()), "--json"});
  INFO(pruned.out << pruned.err);
  REQUIRE(pruned.exit_code == 0);
  auto r = nlohmann::json::parse(pruned.out);
  CHECK(r["scans_removed"] == 2);
  CHECK(r["manifest_removed"] == 2);
  CHECK(r["kept_open_discrepancy"] == 1);  // M2's arrival: its bag holds the missing M1
  CHECK(r["kept_newest"] == 1);            // S1's arrival (also an open surplus)
  // Settled parcels are gone whole; the others kept their scans and rows.
  for (const std::string& w : {a1, a2}) {
    CHECK(RowsOf(data, "scans", w) == 0);
    CHECK(RowsOf(data, "manifest", w) == 0);
  }
  CHECK(RowsOf(data, "manifest", m1) == 1);
  CHECK(RowsOf(data, "scans", m2) == 1);
  CHECK(RowsOf(data, "manifest", m2) == 1);
  CHECK(RowsOf(data, "scans", s1) == 1);

  auto after = ReconcileNow(data);
  CHECK(after["full"] == true);  // the prune made the next run read everything
  CHECK(after["opened"] == 0);
  CHECK(after["resolved"] == 0);
  CHECK(AllDiscrepancies(data) == before);
  CHECK(QueryInt(data, "SELECT count(*) FROM national_lookups") == lookups_before);
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox") == outbox_before);  // no origin told anything

  // A restarted stationd's first run reads everything: the same.
  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(10s) == 0);
  station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", args);
  auto restarted = ReconcileNow(data);
  CHECK(restarted["full"] == true);
  CHECK(restarted["opened"] == 0);
  CHECK(restarted["resolved"] == 0);
  CHECK(AllDiscrepancies(data) == before);
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox") == outbox_before);
  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
}
