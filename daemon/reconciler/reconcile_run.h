#pragma once
// One reconciliation run over station.db: the manifest and the scans read
// in one read transaction, classified by reconcile/engine.h, and the
// differences to the stored discrepancies written in one transaction:
// new ones opened, healed ones resolved, the rest left as they were
// (DESIGN §2 step 4; issue 4).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "wire/control_status.h"
#include "sql/sqlite.h"
#include "reconcile/engine.h"

namespace station {

struct ReconcileSettings {
  std::string station;                                 // this station's code
  std::int64_t grace_ms = 24LL * 3600 * 1000;          // after dispatch, before a parcel counts as missing
  std::map<std::string, std::int64_t> grace_by_origin_ms;  // per origin station code
};

// Runs reconciliations on one read-write connection to station.db that
// no other thread uses. The first run reads everything; it then keeps the
// engine's state (reconcile/ledger.h, about 100 bytes a waybill) so the
// next reads only the scans and manifest changes that came since, and
// writes only what they changed. A run that fails forgets the state: the
// next reads everything again.
class ReconcileRunner {
 public:
  // kInvalidArgument for bad settings (a station or origin code that is
  // not six digits, a negative grace period).
  static Result<std::unique_ptr<ReconcileRunner>> Make(const ReconcileSettings& settings);
  ~ReconcileRunner();

  // kInvalidArgument never; other errors when the database could not be
  // read or written, and then no discrepancy changed.
  Result<ReconcileRunSummary> Run(sql::Db& db, const std::string& trigger, std::int64_t now_ms);

  // Drops the manifest changes the ledger has applied. Separate from Run,
  // so a clerk does not wait for it (after an import of a million rows it
  // is a million deletes); a failure costs nothing but the space.
  Status Tidy(sql::Db& db);

  // Forgets the ledger: the next run reads everything (after a prune
  // removed rows it has no change log for).
  void ReadEverythingNext();

 private:
  struct Memory;
  ReconcileRunner(const ReconcileSettings& settings, const reconcile::Config& config);
  Result<ReconcileRunSummary> RunOnce(sql::Db& db, const std::string& trigger, std::int64_t now_ms);

  const ReconcileSettings settings_;
  const reconcile::Config config_;
  std::unique_ptr<Memory> memory_;  // null: the next run reads everything
};

}  // namespace station
