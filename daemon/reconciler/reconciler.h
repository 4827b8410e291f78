#pragma once
// stationd's reconciliation thread: runs RunReconciliation on a schedule
// and when a clerk asks, on its own connection, so a run of a few seconds
// never holds up a dock's acknowledgement (it reads a WAL snapshot and
// writes only the differences, in one short transaction).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "daemon/reconciler/reconcile_run.h"
#include "daemon/storage/retention.h"
#include "sql/sqlite.h"

namespace station {

struct ReconcilerOptions {
  ReconcileSettings settings;
  std::int64_t every_ms = 15 * 60 * 1000;  // 0: only when asked
  // Shared with the Pruner (retention.h): a run waits while a prune runs,
  // and reads everything after one that removed rows. Null: no pruner.
  std::shared_ptr<PruneGate> prune_gate;
};

class Reconciler {
 public:
  // Opens its own connection to station.db (already migrated) and starts.
  static Result<std::unique_ptr<Reconciler>> Start(const std::string& station_db, const ReconcilerOptions& options,
                                                   const std::string& vfs = "");
  ~Reconciler();  // finishes a run under way, then stops

  // Asks for a run now; returns the number the caller waits for:
  // the run is done once Status().completed reaches it.
  std::int64_t Request(const std::string& trigger);
  ReconcilerStatus Status() const;

 private:
  Reconciler(sql::Db db, ReconcilerOptions options, std::unique_ptr<ReconcileRunner> runner)
      : db_(std::move(db)), options_(std::move(options)), runner_(std::move(runner)) {}
  void Run();

  sql::Db db_;
  const ReconcilerOptions options_;
  std::unique_ptr<ReconcileRunner> runner_;  // used by the thread only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string pending_trigger_;  // "" when nothing is asked
  ReconcilerStatus status_;
  std::thread thread_;
};

}  // namespace station
