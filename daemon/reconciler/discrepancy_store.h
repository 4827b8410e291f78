#pragma once
// Writes what a reconciliation run found into station.db's discrepancies
// (schema migration 3), inside the run's write transaction: the new are
// opened, changed figures updated, the healed resolved, a clerk's close
// left as it is; then each origin station's digest is queued in the
// outbox (RELIABILITY.md §3c).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sql/sqlite.h"
#include "reconcile/engine.h"
#include "reconcile/ledger.h"
#include "reconcile/waybill_key.h"

namespace station {

// The texts behind the engine's numbers, and whether a parcel arrived.
struct DiscrepancyNames {
  const reconcile::WaybillKeys& waybills;
  const std::vector<std::string>& bags;  // by BagId; [0] is ""
  // True when the parcel with this waybill has arrived here: only then is
  // its origin told that a parcel reported missing came after all (a
  // missing parcel also stops being missing when its manifest row goes to
  // another station or is withdrawn, or the clock is set back).
  std::function<bool(const std::string& waybill)> arrived;
};

struct StoredChanges {
  std::int64_t opened = 0, resolved = 0, notices = 0;
  std::vector<std::int64_t> resolved_after_notice;  // ids: their origin had been told they were missing
};

// A full run: `found` is everything found; every held discrepancy not in
// it is resolved.
Result<StoredChanges> StoreAllFound(sql::Db& db, const DiscrepancyNames& names,
                                    const std::vector<reconcile::Discrepancy>& found, std::int64_t run_id,
                                    std::int64_t now_ms);

// An incremental run: only what the ledger says changed is looked up and
// written, each by its identity.
Result<StoredChanges> StoreChanges(sql::Db& db, const DiscrepancyNames& names,
                                   const reconcile::LedgerChanges& changes, std::int64_t run_id, std::int64_t now_ms);

// One digest for each origin station with news: its parcels newly missing
// here (which become 'notified'), and those it was told of that have since
// arrived. Split in parts that fit a post.
Status NotifyOrigins(sql::Db& db, const std::string& station, std::int64_t run_id, std::int64_t now_ms,
                     StoredChanges& changes);

}  // namespace station
