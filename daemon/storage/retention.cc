#include "daemon/storage/retention.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "sql/sqlite.h"

namespace station {
namespace {

// 2000-01-01T00:00:00Z: no station has scans from before it.
constexpr std::int64_t kEarliestMs = 946'684'800'000;

struct Bounds {
  std::int64_t newest = 0, uploaded_upto = 0, desk_upto = 0;
};

Result<Bounds> ReadBounds(sql::Db& db) {
  Bounds b;
  auto newest = db.QueryInt("SELECT coalesce(max(id), 0) FROM scans");
  if (!newest.ok()) return newest.status();
  auto uploaded = db.QueryInt("SELECT uploaded_upto FROM uplink_state WHERE one = 1");
  if (!uploaded.ok()) return uploaded.status();
  auto desk = db.QueryInt("SELECT scans_upto FROM problem_desk WHERE one = 1");
  if (!desk.ok()) return desk.status();
  b.newest = *newest;
  b.uploaded_upto = *uploaded;
  b.desk_upto = *desk;
  return b;
}

// The plan, in temp tables of the prune's own connection (writing them
// takes no lock on station.db):
//   prune_open       waybills a discrepancy that is not closed or resolved
//                    refers to, and every manifest row in a bag one refers to
//   prune_open_bags  the bags those discrepancies name
//   prune_busy       waybills not settled yet: a scan received after the
//                    cutoff or above the cap, or a row dispatched after it
//   prune_scans      the scans of the other waybills (all of them old,
//                    uploaded and read by the desk), by waybill
//   prune_parcels    the waybills that go: scans and manifest row together
//   prune_bag_scans  old scans of a whole bag (no waybill) that may go
// A parcel's scans and its manifest row go in one transaction: a run of
// the reconciler that finds only one of them reports a false surplus (scans,
// no row) or a false missing parcel (row, no scans) and tells its origin.
constexpr const char* kPlanTables =
    "CREATE TEMP TABLE prune_open (waybill TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE prune_open_bags (bag TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE prune_busy (waybill TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE prune_scans (waybill TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (waybill, id))"
    " WITHOUT ROWID;"
    "CREATE TEMP TABLE prune_parcels (waybill TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE prune_bag_scans (id INTEGER PRIMARY KEY);";

// ?1 cutoff, ?2 cap. Each statement reads the station's tables and writes
// only temp ones; all run in one read transaction, so they see one snapshot.
struct PlanStep {
  const char* sql;
  int params;  // ?1 only, or ?1 and ?2
};
constexpr PlanStep kPlanSteps[] = {
    {"INSERT OR IGNORE INTO prune_open_bags SELECT bag FROM main.discrepancies"
    " WHERE state IN ('open', 'notified') AND bag != ''", 0},
    {"INSERT OR IGNORE INTO prune_open SELECT waybill FROM main.discrepancies"
    " WHERE state IN ('open', 'notified') AND waybill != ''", 0},
    // A missing parcel's bag facts (did the bag show up, were others in it
    // seen) come from its bag's other rows and scans: they stay with it.
    {"INSERT OR IGNORE INTO prune_open SELECT waybill FROM main.manifest WHERE bag IN (SELECT bag FROM prune_open_bags)", 0},
    {"INSERT OR IGNORE INTO prune_busy SELECT waybill FROM main.manifest WHERE dispatched_ms >= ?1", 1},
    {"INSERT OR IGNORE INTO prune_busy SELECT waybill FROM main.scans"
    " WHERE waybill IS NOT NULL AND (received_ms >= ?1 OR id > ?2)", 2},
    {"INSERT INTO prune_scans SELECT waybill, id FROM main.scans WHERE waybill IS NOT NULL"
    " AND waybill NOT IN (SELECT waybill FROM prune_open) AND waybill NOT IN (SELECT waybill FROM prune_busy)", 0},
    {"INSERT OR IGNORE INTO prune_parcels SELECT DISTINCT waybill FROM prune_scans", 0},
    {"INSERT OR IGNORE INTO prune_parcels SELECT waybill FROM main.manifest WHERE dispatched_ms < ?1"
    " AND waybill NOT IN (SELECT waybill FROM prune_open) AND waybill NOT IN (SELECT waybill FROM prune_busy)", 1},
    {"INSERT INTO prune_bag_scans SELECT id FROM main.scans WHERE waybill IS NULL AND id <= ?2 AND received_ms < ?1"
    " AND (bag IS NULL OR bag NOT IN (SELECT bag FROM prune_open_bags))", 2},
};

// Why the scans received before the date asked are kept, each counted once,
// by the first reason that holds, in the plan's snapshot.
Status CountKept(sql::Db& db, const Bounds& b, std::int64_t cap, PruneResult& r) {
  auto count = sql::Stmt::Prepare(
      db,
      "SELECT coalesce(sum(received_ms >= ?2), 0),"
      " coalesce(sum(received_ms < ?2 AND id > ?3 AND NOT (id = ?4 AND ?5) AND (NOT ?6 OR id > ?7)), 0),"
      " coalesce(sum(received_ms < ?2 AND id > ?3 AND NOT (id = ?4 AND ?5) AND ?6 AND id <= ?7), 0),"
      " coalesce(sum(received_ms < ?2 AND id = ?4 AND ?5), 0),"
      " coalesce(sum(received_ms < ?2 AND id <= ?3 AND (waybill IN (SELECT waybill FROM prune_open)"
      "   OR (waybill IS NULL AND bag IN (SELECT bag FROM prune_open_bags)))), 0),"
      " coalesce(sum(received_ms < ?2 AND id <= ?3 AND waybill NOT IN (SELECT waybill FROM prune_open)"
      "   AND waybill IN (SELECT waybill FROM prune_busy)), 0)"
      " FROM main.scans WHERE received_ms < ?1");
  if (!count.ok()) return count.status();
  // The newest row is "kept as the newest" only when nothing else would
  // keep it: national holds it and the desk has read it.
  const bool newest_alone =
      r.national_configured && b.newest <= b.uploaded_upto && b.newest <= b.desk_upto && b.newest > cap;
  count->Bind(1, r.before_ms).Bind(2, r.cutoff_ms).Bind(3, cap).Bind(4, b.newest).Bind(5, std::int64_t{newest_alone});
  count->Bind(6, std::int64_t{r.national_configured}).Bind(7, b.uploaded_upto);
  return count->ForEachRow([&](const sql::Stmt& row) {
    r.kept_younger = row.ColumnInt(0);
    r.kept_not_uploaded = row.ColumnInt(1);
    r.kept_not_desk_read = row.ColumnInt(2);
    r.kept_newest = row.ColumnInt(3);
    r.kept_open_discrepancy = row.ColumnInt(4);
    r.kept_unsettled_parcel = row.ColumnInt(5);
  });
}

// Works out the plan from one snapshot. Reads every scan and manifest row
// once, outside the write lock (WAL: a reader never blocks the docks).
Status Plan(sql::Db& db, std::int64_t& snapshot_newest, std::int64_t& cap, PruneResult& r) {
  if (Status s = db.Exec(kPlanTables); !s.ok()) return s;
  auto txn = sql::ReadTxn::Begin(db);
  if (!txn.ok()) return txn.status();
  auto bounds = ReadBounds(db);
  if (!bounds.ok()) return bounds.status();
  snapshot_newest = bounds->newest;
  cap = PruneIdCap(r.national_configured, bounds->uploaded_upto, bounds->desk_upto, bounds->newest);
  for (const PlanStep& step_text : kPlanSteps) {
    auto step = sql::Stmt::Prepare(db, step_text.sql);
    if (!step.ok()) return step.status();
    if (step_text.params >= 1) step->Bind(1, r.cutoff_ms);
    if (step_text.params >= 2) step->Bind(2, cap);
    if (Status s = step->Run(); !s.ok()) return s;
  }
  if (Status s = CountKept(db, *bounds, cap, r); !s.ok()) return s;
  return txn->Commit();
}

bool Stopped(const std::atomic<bool>* stop) { return stop && stop->load(); }

// The parcels of the plan, a few thousand rows a transaction: each round
// reads the next waybills from the plan (a temp table: no lock on
// station.db), then one short write transaction deletes their scans by id
// and their manifest rows by key.
Status RemoveParcels(sql::Db& db, std::int64_t snapshot_newest, std::int64_t cap, PruneResult& r,
                     const std::atomic<bool>* stop) {
  auto next = sql::Stmt::Prepare(
      db,
      "SELECT p.waybill, (SELECT count(*) FROM prune_scans s WHERE s.waybill = p.waybill) FROM prune_parcels p"
      " WHERE p.waybill > ?1 ORDER BY p.waybill LIMIT ?2");
  // Scans docked since the plan's snapshot: a parcel scanned again is not settled.
  auto late = sql::Stmt::Prepare(db, "SELECT id, waybill FROM main.scans WHERE id > ?1 ORDER BY id");
  // A row national changed since the plan (dispatched again) is not settled either.
  auto redispatched = sql::Stmt::Prepare(db, "SELECT count(*) FROM main.manifest WHERE waybill = ?1 AND dispatched_ms >= ?2");
  auto scans = sql::Stmt::Prepare(
      db,
      "DELETE FROM main.scans WHERE id IN (SELECT id FROM prune_scans WHERE waybill = ?1) AND received_ms < ?2"
      " AND id <= ?3");
  auto row = sql::Stmt::Prepare(db, "DELETE FROM main.manifest WHERE waybill = ?1 AND dispatched_ms < ?2");
  for (auto* stmt : {&next, &late, &redispatched, &scans, &row}) {
    if (!stmt->ok()) return stmt->status();
  }
  std::unordered_set<std::string> scanned_again;
  std::int64_t late_after = snapshot_newest;
  std::string after;  // '' sorts before every waybill (never empty)
  std::vector<std::string> waybills;
  for (;;) {
    if (Stopped(stop)) return Status::Unavailable("prune", "stopped (stationd is stopping)");
    waybills.clear();
    next->Reset();
    next->Bind(1, after).Bind(2, std::int64_t{kPruneChunk});
    // ForEachRow resets: the read has ended before the write lock is taken.
    std::vector<std::pair<std::string, std::int64_t>> read;
    Status s = next->ForEachRow(
        [&](const sql::Stmt& p) { read.emplace_back(p.ColumnText(0), p.ColumnInt(1) + 1); });
    if (!s.ok()) return s;
    // At most kPruneChunk rows a round (a parcel's scans and its row), and
    // one parcel at least, whatever its scans.
    std::int64_t rows = 0;
    for (auto& [waybill, n] : read) {
      if (!waybills.empty() && rows + n > kPruneChunk) break;
      waybills.push_back(std::move(waybill));
      rows += n;
    }
    if (waybills.empty()) break;
    after = waybills.back();
    auto txn = sql::Txn::Begin(db);
    if (!txn.ok()) return txn.status();
    late->Reset();
    late->Bind(1, late_after);
    s = late->ForEachRow([&](const sql::Stmt& l) {
      late_after = l.ColumnInt(0);
      if (!l.ColumnIsNull(1)) scanned_again.insert(l.ColumnText(1));
    });
    if (!s.ok()) return s;
    std::int64_t scans_removed = 0, rows_removed = 0;
    for (const std::string& waybill : waybills) {
      if (scanned_again.count(waybill)) continue;
      redispatched->Reset();
      redispatched->Bind(1, waybill).Bind(2, r.cutoff_ms);
      bool newer = false;
      s = redispatched->ForEachRow([&](const sql::Stmt& c) { newer = c.ColumnInt(0) > 0; });
      if (!s.ok()) return s;
      if (newer) continue;
      scans->Reset();
      if (s = scans->Bind(1, waybill).Bind(2, r.cutoff_ms).Bind(3, cap).Run(); !s.ok()) return s;
      scans_removed += db.Changes();
      row->Reset();
      if (s = row->Bind(1, waybill).Bind(2, r.cutoff_ms).Run(); !s.ok()) return s;
      rows_removed += db.Changes();  // the triggers' rows are not counted
    }
    if (s = txn->Commit(); !s.ok()) return s;
    ++r.transactions;
    r.scans_removed += scans_removed;
    r.manifest_removed += rows_removed;
  }
  return Status::OK();
}

// Old scans of whole bags (no waybill), by id, kPruneChunk a transaction.
Status RemoveBagScans(sql::Db& db, std::int64_t cap, PruneResult& r, const std::atomic<bool>* stop) {
  auto next = sql::Stmt::Prepare(db, "SELECT id FROM prune_bag_scans WHERE id > ?1 ORDER BY id LIMIT ?2");
  if (!next.ok()) return next.status();
  auto remove = sql::Stmt::Prepare(
      db, "DELETE FROM main.scans WHERE id = ?1 AND waybill IS NULL AND received_ms < ?2 AND id <= ?3");
  if (!remove.ok()) return remove.status();
  std::int64_t after = 0;
  std::vector<std::int64_t> ids;
  for (;;) {
    if (Stopped(stop)) return Status::Unavailable("prune", "stopped (stationd is stopping)");
    ids.clear();
    next->Reset();
    next->Bind(1, after).Bind(2, std::int64_t{kPruneChunk});
    if (Status s = next->ForEachRow([&](const sql::Stmt& row) { ids.push_back(row.ColumnInt(0)); }); !s.ok()) {
      return s;
    }
    if (ids.empty()) break;
    after = ids.back();
    auto txn = sql::Txn::Begin(db);
    if (!txn.ok()) return txn.status();
    std::int64_t removed = 0;
    for (std::int64_t id : ids) {
      remove->Reset();
      if (Status s = remove->Bind(1, id).Bind(2, r.cutoff_ms).Bind(3, cap).Run(); !s.ok()) return s;
      removed += db.Changes();
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
    ++r.transactions;
    r.scans_removed += removed;
  }
  return Status::OK();
}

}  // namespace

Result<std::int64_t> PruneCutoff(std::int64_t before_ms, std::int64_t now_ms, int retention_days) {
  if (before_ms < kEarliestMs) {
    return Status::InvalidArgument("prune date", "is before 2000-01-01; no station has scans that old");
  }
  if (before_ms > now_ms) return Status::InvalidArgument("prune date", "is in the future");
  if (retention_days < 1) return Status::InvalidArgument("retention", "must be at least 1 day");
  return std::min(before_ms, now_ms - static_cast<std::int64_t>(retention_days) * kDayMs);
}

std::int64_t PruneIdCap(bool national_configured, std::int64_t uploaded_upto, std::int64_t desk_upto,
                        std::int64_t newest_id) {
  if (!national_configured) return 0;
  return std::max<std::int64_t>(0, std::min({uploaded_upto, desk_upto, newest_id - 1}));
}

Result<PruneResult> RunPrune(const std::string& db_path, const std::string& vfs, std::int64_t before_ms,
                             std::int64_t now_ms, int retention_days, bool national_configured,
                             const std::atomic<bool>* stop) {
  const auto started = std::chrono::steady_clock::now();
  auto cutoff = PruneCutoff(before_ms, now_ms, retention_days);
  if (!cutoff.ok()) return cutoff.status();
  PruneResult r;
  r.before_ms = before_ms;
  r.cutoff_ms = *cutoff;
  r.retention_days = retention_days;
  r.national_configured = national_configured;
  sql::OpenOptions options;
  options.create = false;
  options.vfs = vfs;
  auto db = sql::Db::Open(db_path, options);
  if (!db.ok()) return db.status();
  std::int64_t snapshot_newest = 0, cap = 0;
  if (Status s = Plan(*db, snapshot_newest, cap, r); !s.ok()) return s;
  // Without a national link nothing was ever uploaded: nothing goes.
  if (national_configured) {
    if (Status s = RemoveParcels(*db, snapshot_newest, cap, r, stop); !s.ok()) return s;
    if (Status s = RemoveBagScans(*db, cap, r, stop); !s.ok()) return s;
  }
  r.took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return r;
}

Pruner::Pruner(std::string db_path, std::string vfs, int retention_days, bool national_configured,
               std::shared_ptr<PruneGate> gate)
    : db_path_(std::move(db_path)),
      vfs_(std::move(vfs)),
      retention_days_(retention_days),
      national_configured_(national_configured),
      gate_(std::move(gate)) {}

Pruner::~Pruner() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::int64_t> Pruner::Start(std::int64_t before_ms, std::int64_t now_ms) {
  if (auto cutoff = PruneCutoff(before_ms, now_ms, retention_days_); !cutoff.ok()) return cutoff.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.running) {
    return Status::Conflict("a prune is already running", "wait for it to finish (stationctl prune waits)");
  }
  if (thread_.joinable()) thread_.join();  // the last one, finished
  const std::int64_t ticket = ++status_.requested;
  status_.running = true;
  thread_ = std::thread([this, ticket, before_ms, now_ms] {
    // Reconciliation waits while the prune runs: its ledger must never see
    // one half of a parcel gone. After a prune that removed rows (or failed
    // part way) it reads everything again, so the ledger holds only what
    // remains; removed parcels had no open discrepancy, so nothing changes.
    std::unique_lock<std::mutex> paused;
    if (gate_) paused = std::unique_lock<std::mutex>(gate_->mutex());
    auto result = RunPrune(db_path_, vfs_, before_ms, now_ms, retention_days_, national_configured_, &stop_);
    if (gate_ && (!result.ok() || result->scans_removed > 0 || result->manifest_removed > 0)) gate_->RequireFullRun();
    if (paused.owns_lock()) paused.unlock();
    if (result.ok()) {
      spdlog::info("prune before_ms={} cutoff_ms={} scans_removed={} manifest_removed={} kept_younger={}"
                   " kept_not_uploaded={} kept_not_desk_read={} kept_open_discrepancy={} kept_unsettled_parcel={}"
                   " kept_newest={} transactions={} took_ms={}",
                   result->before_ms, result->cutoff_ms, result->scans_removed, result->manifest_removed,
                   result->kept_younger, result->kept_not_uploaded, result->kept_not_desk_read,
                   result->kept_open_discrepancy, result->kept_unsettled_parcel, result->kept_newest,
                   result->transactions, result->took_ms);
    } else {
      spdlog::error("prune failed: {}", result.status().ToString());
    }
    std::lock_guard<std::mutex> done(mu_);
    status_.running = false;
    status_.completed = ticket;
    status_.last_error = result.ok() ? std::string() : result.status().ToString();
    status_.last = result.ok() ? std::optional<PruneResult>(*result) : std::nullopt;
  });
  return ticket;
}

PruneStatus Pruner::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace station
