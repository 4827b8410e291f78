#pragma once
// Retention: removing scans older than the retention period (DESIGN §4:
// queries and claims are accepted for a year after pickup, so scans are
// kept at least a year) that national already holds.
//
// What goes is settled parcels, whole: a waybill's scans and its manifest
// row, in one transaction, and only when the row (if any) was dispatched
// before the cutoff, every scan of the waybill was received before it and
// is uploaded and read by the problem desk, and no discrepancy that is not
// closed or resolved names the waybill or its row's bag. Anything less
// changes what reconciliation finds: scans without their row are a surplus,
// a row without its scans a missing parcel reported to its origin. Scans
// of a whole bag (no waybill) go by the scan rules alone, unless an open
// discrepancy names the bag.
//
// Which time: a scan's received_ms, the station's own clock at its commit.
// Not scan_time_ms: a gun whose clock is a year behind (clock_flag 'past')
// would have its fresh scans pruned at once, and received_ms grows with
// scans.id, which the upload cursor also follows.
//
// A prune runs on its own thread and connection, in transactions of at most
// kPruneChunk rows, so the docks' commits wait for one short transaction at
// most (BEGIN IMMEDIATE takes turns at the write lock, RELIABILITY.md §4),
// never for the whole prune; and the control socket, served on the ingest
// thread, only starts it and reports on it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/status.h"
#include "wire/control_status.h"

namespace station {

inline constexpr int kPruneChunk = 5000;

// The pure decision: scans received before the returned cutoff may go.
// It is the clerk's `before_ms`, or the retention limit (now - retention)
// when that is earlier: a scan younger than the retention period is never
// removed, whatever date was asked. kInvalidArgument for a date in the
// future or before 2000 (not a date a station could have scans from).
Result<std::int64_t> PruneCutoff(std::int64_t before_ms, std::int64_t now_ms, int retention_days);

// The highest scans.id a prune may remove: none above what national holds
// (uploaded_upto; 0 without a national link: nothing was ever uploaded),
// none the problem desk has not read yet, and never the newest row
// (scans.id has no AUTOINCREMENT: removing the newest row would let its id
// be given out again, to another scan, behind the upload cursor).
std::int64_t PruneIdCap(bool national_configured, std::int64_t uploaded_upto, std::int64_t desk_upto,
                        std::int64_t newest_id);

// Runs the prune on `db_path` (station.db, already migrated), on the
// calling thread. `national_configured`: stationd has a --national link.
// `stop`, when set, ends it between two transactions (kUnavailable; what
// was removed stays removed: each transaction stands on its own).
Result<PruneResult> RunPrune(const std::string& db_path, const std::string& vfs, std::int64_t before_ms,
                             std::int64_t now_ms, int retention_days, bool national_configured,
                             const std::atomic<bool>* stop = nullptr);

// What a prune shares with the reconciliation thread (daemon.cc hands both
// the same one). The reconciler's ledger is incremental: it reads the scans
// after the last one it saw and the manifest's change log, so it never
// learns that scans were removed. A prune therefore holds mutex() from start
// to end, a reconciliation run holds it for the run (a run waits for a prune
// under way, and a prune for a run), and a prune that removed anything asks
// for a full run: the next run rebuilds its ledger from what remains.
class PruneGate {
 public:
  std::mutex& mutex() { return mu_; }
  void RequireFullRun() { full_run_ = true; }
  // True once after RequireFullRun: the caller reads everything.
  bool TakeFullRun() { return full_run_.exchange(false); }

 private:
  std::mutex mu_;
  std::atomic<bool> full_run_{false};
};

// One prune at a time, on a thread of its own.
class Pruner {
 public:
  // `gate`: shared with the reconciler; null when there is none (tests).
  Pruner(std::string db_path, std::string vfs, int retention_days, bool national_configured,
         std::shared_ptr<PruneGate> gate = nullptr);
  ~Pruner();  // stops a prune under way after its current transaction
  Pruner(const Pruner&) = delete;
  Pruner& operator=(const Pruner&) = delete;

  // Checks the date (PruneCutoff) and starts; its ticket. kConflict while
  // another prune runs.
  Result<std::int64_t> Start(std::int64_t before_ms, std::int64_t now_ms);
  PruneStatus Status();
  int retention_days() const { return retention_days_; }

 private:
  const std::string db_path_, vfs_;
  const int retention_days_;
  const bool national_configured_;
  const std::shared_ptr<PruneGate> gate_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  PruneStatus status_;
  std::thread thread_;
};

}  // namespace station
