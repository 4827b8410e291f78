#pragma once
// What the clerk's commands report of stationd's services (docs/protocol.md,
// "Control"): the manifest import, the national link, reconciliation and
// prune. Plain structs, kept with the protocol that carries them rather
// than with the threads that fill them, so that stationctl and the fuzzers
// read them without the daemon.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconcile/engine.h"
#include "scanner/manifest.h"

namespace station {

// Retention's defaults, which a prune reports against (daemon/storage/retention.h).
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr int kDefaultRetentionDays = 365;

// What a manifest import did.
struct ManifestImport {
  int stored = 0;     // new waybills
  int updated = 0;    // waybills whose row changed
  int unchanged = 0;  // rows already held exactly
  std::vector<ManifestProblem> rejected;  // each now in quarantine (kind 'manifest')
};

// What the clerk sees of the link (stationctl status / upload).
struct UplinkStatus {
  bool configured = false;
  std::string endpoint;
  bool link_up = false;
  std::int64_t link_changed_ms = 0;  // when it last went up or down
  std::int64_t last_contact_ms = 0;  // last reply of any kind
  std::int64_t last_upload_ms = 0;   // last acknowledged upload
  std::int64_t uploaded_upto = 0;
  std::int64_t newest_scan_id = 0;
  std::int64_t backlog = 0;  // scans not yet held at national
  std::int64_t oldest_waiting_ms = 0;  // received time of the oldest of them; 0: none
  std::int64_t uploaded_this_run = 0;  // scans national newly stored since start
  std::int64_t resends = 0;
  std::string last_error;  // the last refusal from national, or ""
  std::int64_t manifest_rows_received = 0;
  std::int64_t mail_received = 0;
  // Scans national refused InvalidArgument kInvalidTries times, set aside
  // at the station (quarantine kind 'national'), all runs; and national's
  // latest such refusal ("code: error"), "" when none.
  std::int64_t set_aside = 0;
  std::string set_aside_reason;
};

struct ReconcileRunSummary {
  std::int64_t run_id = 0;
  std::string trigger;  // "clerk", "schedule"
  std::int64_t started_ms = 0, finished_ms = 0;
  bool full = false;  // read everything (the first run, or after a failure) rather than what changed
  std::int64_t manifest_to_station = 0, arrived = 0, within_grace = 0;
  std::int64_t scans_read = 0, manifest_read = 0;  // rows read by this run
  std::int64_t found[reconcile::kKindCount] = {};  // by kind, this run
  std::int64_t found_total = 0, opened = 0, resolved = 0;
  std::int64_t notices = 0;  // digest messages put in the outbox for origin stations
  std::int64_t load_ms = 0, engine_ms = 0, store_ms = 0, total_ms = 0;
};

// What a clerk's command sees.
struct ReconcilerStatus {
  bool running = false;
  std::int64_t requested = 0;  // runs asked for so far (clerk and schedule)
  std::int64_t completed = 0;  // runs finished (with or without error) so far
  std::optional<ReconcileRunSummary> last;  // the last successful run of this process
  std::string last_error;                   // of the last run, "" when it succeeded
};

// What a prune did, and why it kept the rest of the scans received before
// the date asked.
struct PruneResult {
  std::int64_t before_ms = 0;   // as asked
  std::int64_t cutoff_ms = 0;   // as applied (PruneCutoff)
  int retention_days = kDefaultRetentionDays;
  bool national_configured = false;
  std::int64_t scans_removed = 0;
  std::int64_t manifest_removed = 0;     // manifest rows of the parcels removed
  // Scans received before the date asked that were kept, each by the first reason that holds:
  std::int64_t kept_younger = 0;           // received after the cutoff (within the retention period)
  std::int64_t kept_not_uploaded = 0;      // older, but national does not hold them yet
  std::int64_t kept_not_desk_read = 0;     // uploaded, but the problem desk has not read them yet
  std::int64_t kept_newest = 0;            // 1 when the newest scan alone was kept (ids are never reused)
  std::int64_t kept_open_discrepancy = 0;  // a discrepancy not closed or resolved names the parcel or its bag
  std::int64_t kept_unsettled_parcel = 0;  // another scan or the manifest row of the parcel is kept
  std::int64_t transactions = 0;
  std::int64_t took_ms = 0;
};

struct PruneStatus {
  bool running = false;
  std::int64_t requested = 0;  // tickets given out
  std::int64_t completed = 0;  // the last ticket finished (done or failed)
  std::string last_error;      // of the last finished one; empty: it succeeded
  std::optional<PruneResult> last;
};

}  // namespace station
