#include "daemon/retention.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "daemon/sqlite.h"

namespace station {
namespace {

// 2000-01-01T00:00:00Z: no station has scans from before it.
constexpr std::int64_t kEarliestMs = 946'684'800'000;

struct Bounds {
  std::int64_t newest = 0, uploaded_upto = 0, desk_upto = 0;
};

Result<Bounds> ReadBounds(sql::Db& db) {
  Bounds b;
  // Each value only grows while we read, so reading them one by one can
  // only make the cap lower than it could be: safe.
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

// Why the scans received before the date asked are kept, counted in one
// read of the table before anything is removed.
Status CountKept(sql::Db& db, const Bounds& b, std::int64_t cap, PruneResult& r) {
  auto count = sql::Stmt::Prepare(
      db,
      "SELECT coalesce(sum(received_ms >= ?2), 0),"
      " coalesce(sum(received_ms < ?2 AND id > ?3 AND NOT (id = ?4 AND ?5)), 0),"
      " coalesce(sum(received_ms < ?2 AND id = ?4 AND ?5), 0)"
      " FROM scans WHERE received_ms < ?1");
  if (!count.ok()) return count.status();
  // The newest row is "kept as the newest" only when nothing else would
  // keep it: national holds it and the desk has read it.
  const bool newest_alone =
      r.national_configured && b.newest <= b.uploaded_upto && b.newest <= b.desk_upto && b.newest > cap;
  count->Bind(1, r.before_ms).Bind(2, r.cutoff_ms).Bind(3, cap).Bind(4, b.newest).Bind(5, std::int64_t{newest_alone});
  return count->ForEachRow([&](const sql::Stmt& row) {
    r.kept_younger = row.ColumnInt(0);
    r.kept_not_uploaded = row.ColumnInt(1);
    r.kept_newest = row.ColumnInt(2);
  });
}

bool Stopped(const std::atomic<bool>* stop) { return stop && stop->load(); }

// Scans with id <= cap received before the cutoff, in windows of at most
// kPruneChunk ids, each window one transaction.
Status RemoveScans(sql::Db& db, std::int64_t cap, PruneResult& r, const std::atomic<bool>* stop) {
  auto window_end =
      sql::Stmt::Prepare(db, "SELECT id FROM scans WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT 1 OFFSET ?3");
  if (!window_end.ok()) return window_end.status();
  auto remove = sql::Stmt::Prepare(db, "DELETE FROM scans WHERE id > ?1 AND id <= ?2 AND received_ms < ?3");
  if (!remove.ok()) return remove.status();
  std::int64_t after = 0;
  while (after < cap) {
    if (Stopped(stop)) return Status::Unavailable("prune", "stopped (stationd is stopping)");
    std::int64_t end = cap;
    window_end->Reset();
    window_end->Bind(1, after).Bind(2, cap).Bind(3, std::int64_t{kPruneChunk - 1});
    auto row = window_end->Step();
    if (!row.ok()) return row.status();
    if (*row) end = window_end->ColumnInt(0);
    window_end->Reset();  // ends the read before the write lock is taken
    auto txn = sql::Txn::Begin(db);
    if (!txn.ok()) return txn.status();
    remove->Reset();
    remove->Bind(1, after).Bind(2, end).Bind(3, r.cutoff_ms);
    if (Status s = remove->Run(); !s.ok()) return s;
    const int removed = db.Changes();
    if (Status s = txn->Commit(); !s.ok()) return s;
    r.scans_removed += removed;
    ++r.transactions;
    after = end;
  }
  return Status::OK();
}

// Manifest rows dispatched before the cutoff: their arrival scans are gone
// (or going), and a manifest row with no arrival would be reported missing
// to its origin station by the next full reconciliation. The manifest's
// triggers log each removal, so the reconciler drops them from its ledger.
//
// manifest has no index on dispatched_ms, so finding old rows reads the
// table. That read runs outside the write lock (WAL: a reader never blocks
// the docks' commits) and walks the primary key on from where the last round
// stopped, so the whole prune reads the manifest once; each round's write
// transaction only deletes up to kPruneChunk rows by key. (A DELETE ... IN
// (SELECT ... LIMIT) read the table from its start inside BEGIN IMMEDIATE
// every round, and all of it in the last one: with a large manifest the
// docks waited on that scan each round.)
Status RemoveManifest(sql::Db& db, PruneResult& r, const std::atomic<bool>* stop) {
  auto next = sql::Stmt::Prepare(
      db, "SELECT waybill FROM manifest WHERE waybill > ?1 AND dispatched_ms < ?2 ORDER BY waybill LIMIT ?3");
  if (!next.ok()) return next.status();
  auto remove = sql::Stmt::Prepare(db, "DELETE FROM manifest WHERE waybill = ?1 AND dispatched_ms < ?2");
  if (!remove.ok()) return remove.status();
  std::string after;  // '' sorts before every waybill (never empty)
  std::vector<std::string> waybills;
  for (;;) {
    if (Stopped(stop)) return Status::Unavailable("prune", "stopped (stationd is stopping)");
    waybills.clear();
    next->Reset();
    next->Bind(1, after).Bind(2, r.cutoff_ms).Bind(3, std::int64_t{kPruneChunk});
    // ForEachRow resets: the read has ended before the write lock is taken.
    if (Status s = next->ForEachRow([&](const sql::Stmt& row) { waybills.push_back(row.ColumnText(0)); }); !s.ok()) {
      return s;
    }
    if (waybills.empty()) break;
    after = waybills.back();
    auto txn = sql::Txn::Begin(db);
    if (!txn.ok()) return txn.status();
    std::int64_t removed = 0;
    for (const std::string& waybill : waybills) {
      remove->Reset();
      // dispatched_ms again: a row national changed since the read stays.
      if (Status s = remove->Bind(1, waybill).Bind(2, r.cutoff_ms).Run(); !s.ok()) return s;
      removed += db.Changes();  // the triggers' rows are not counted
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
    ++r.transactions;
    r.manifest_removed += removed;
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
  auto bounds = ReadBounds(*db);
  if (!bounds.ok()) return bounds.status();
  const std::int64_t cap = PruneIdCap(national_configured, bounds->uploaded_upto, bounds->desk_upto, bounds->newest);
  if (Status s = CountKept(*db, *bounds, cap, r); !s.ok()) return s;
  if (Status s = RemoveScans(*db, cap, r, stop); !s.ok()) return s;
  if (national_configured) {
    if (Status s = RemoveManifest(*db, r, stop); !s.ok()) return s;
  }
  r.took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return r;
}

Pruner::Pruner(std::string db_path, std::string vfs, int retention_days, bool national_configured)
    : db_path_(std::move(db_path)),
      vfs_(std::move(vfs)),
      retention_days_(retention_days),
      national_configured_(national_configured) {}

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
    auto result = RunPrune(db_path_, vfs_, before_ms, now_ms, retention_days_, national_configured_, &stop_);
    if (result.ok()) {
      spdlog::info("prune before_ms={} cutoff_ms={} scans_removed={} manifest_removed={} kept_younger={}"
                   " kept_not_uploaded={} kept_newest={} transactions={} took_ms={}",
                   result->before_ms, result->cutoff_ms, result->scans_removed, result->manifest_removed,
                   result->kept_younger, result->kept_not_uploaded, result->kept_newest, result->transactions,
                   result->took_ms);
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
