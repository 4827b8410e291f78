// StationView::Figures: the monitoring figures, each read through the rowid
// or an index so that asking every few seconds stays cheap with millions of
// scans (no index on received_ms is needed, see RecentRows).

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "daemon/storage/run_file.h"
#include "daemon/storage/upload_backlog.h"
#include "daemon/storage/waybill_index.h"
#include "daemon/views/station_view.h"

namespace station {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr int kDiscrepanciesSchema = 3;  // daemon/storage/schema.cc migration 3
constexpr int kProblemsSchema = 6;       // migration 6

std::int64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// Rows of a table received since a time, counted without an index on
// received_ms: ids are given in commit order and received_ms is the commit
// time, so received_ms grows with the id, and the first row of a window is
// found by a binary search on the rowid (about 25 lookups for 10 million
// rows). Rows younger than the retention period are never deleted, so the
// ids from there to the newest are all taken and the count is their span.
// If the clock was set back, the search still ends on a row; the count is
// then approximate for one window's length.
class RecentRows {
 public:
  static Result<RecentRows> Prepare(sql::Db& db, const std::string& table) {
    const std::string first = "SELECT id, received_ms FROM " + table + " WHERE id >= ?1 ORDER BY id LIMIT 1";
    auto stmt = sql::Stmt::Prepare(db, first.c_str());
    if (!stmt.ok()) return stmt.status();
    const std::string bounds = "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM " + table;
    auto range = sql::Stmt::Prepare(db, bounds.c_str());
    if (!range.ok()) return range.status();
    RecentRows rows(std::move(*stmt));
    Status s = range->ForEachRow([&](const sql::Stmt& row) {
      rows.min_id_ = row.ColumnInt(0);
      rows.max_id_ = row.ColumnInt(1);
    });
    if (!s.ok()) return s;
    return rows;
  }

  std::int64_t max_id() const { return max_id_; }

  Result<std::int64_t> CountSince(std::int64_t since_ms) {
    if (max_id_ == 0) return std::int64_t{0};
    std::int64_t lo = min_id_, hi = max_id_ + 1;  // the first id received at or after since_ms is in [lo, hi]
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      std::int64_t id = 0, received_ms = 0;
      first_.Reset();
      first_.Bind(1, mid);
      Status s = first_.ForEachRow([&](const sql::Stmt& row) {
        id = row.ColumnInt(0);
        received_ms = row.ColumnInt(1);
      });
      if (!s.ok()) return s;
      if (id == 0 || received_ms >= since_ms) {
        hi = mid;
      } else {
        lo = id + 1;
      }
    }
    return max_id_ + 1 - lo;
  }

  Result<RecentCounts> Windows(std::int64_t now_ms) {
    RecentCounts counts;
    for (auto [minutes, out] : {std::pair{1, &counts.last_1m}, {5, &counts.last_5m}, {15, &counts.last_15m}}) {
      auto n = CountSince(now_ms - minutes * kMinuteMs);
      if (!n.ok()) return n.status();
      *out = *n;
    }
    return counts;
  }

 private:
  explicit RecentRows(sql::Stmt first) : first_(std::move(first)) {}
  sql::Stmt first_;
  std::int64_t min_id_ = 0, max_id_ = 0;
};

}  // namespace

Result<StationFigures> StationView::Figures(std::int64_t now_ms) {
  StationFigures f;
  f.at_ms = now_ms;
  auto version = db_.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  // One snapshot for every figure, held only while they are read.
  auto snapshot = sql::ReadTxn::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();

  struct Table {
    const char* name;
    std::int64_t* total;
    RecentCounts* recent;
  };
  for (const Table& t : {Table{"scans", &f.scans_stored, &f.scans_received},
                         Table{"docks", &f.docks, &f.docks_received},
                         Table{"quarantine", &f.quarantined, &f.quarantined_received}}) {
    auto rows = RecentRows::Prepare(db_, t.name);
    if (!rows.ok()) return rows.status();
    *t.total = rows->max_id();
    auto recent = rows->Windows(now_ms);
    if (!recent.ok()) return recent.status();
    *t.recent = *recent;
  }
  auto batches = db_.QueryInt("SELECT coalesce(max(id), 0) FROM batches");
  if (!batches.ok()) return batches.status();
  f.batches = *batches;

  auto backlog = ReadUploadBacklog(db_);
  if (!backlog.ok()) return backlog.status();
  f.scans_uploaded = backlog->uploaded_upto;
  f.last_upload_ms = backlog->last_upload_ms;
  f.oldest_waiting_ms = backlog->oldest_waiting_ms;
  // The partial index outbox_waiting holds exactly these.
  auto outbox = db_.QueryInt("SELECT count(*) FROM outbox WHERE posted_ms IS NULL AND refused IS NULL");
  if (!outbox.ok()) return outbox.status();
  f.outbox_waiting = *outbox;
  f.upload_backlog = backlog->scans();

  if (has_index_) {
    auto upto = db_.QueryInt("SELECT coalesce(max(upto), 0) FROM idx.indexed_upto");
    if (upto.ok()) f.index_lag = std::max<std::int64_t>(0, f.scans_stored - *upto);
  }
  if (*version >= kDiscrepanciesSchema) {
    // discrepancies_by_state (state, kind) answers this from the index.
    auto open = sql::Stmt::Prepare(
        db_, "SELECT kind, count(*) FROM discrepancies WHERE state IN ('open', 'notified') GROUP BY kind");
    if (!open.ok()) return open.status();
    Status s = open->ForEachRow([&](const sql::Stmt& row) { f.discrepancies_open[row.ColumnText(0)] = row.ColumnInt(1); });
    if (!s.ok()) return s;
  }
  if (*version >= kProblemsSchema) {
    // problem_cases_by_state: only the cases not closed are read (tens).
    auto cases = sql::Stmt::Prepare(db_,
                                    "SELECT count(*), coalesce(sum(answer_late != 0 OR close_late != 0), 0)"
                                    " FROM problem_cases WHERE state IN ('open', 'notified', 'answered')");
    if (!cases.ok()) return cases.status();
    Status s = cases->ForEachRow([&](const sql::Stmt& row) {
      f.problem_cases_open = row.ColumnInt(0);
      f.problem_cases_overdue = row.ColumnInt(1);
    });
    if (!s.ok()) return s;
  }
  const std::string db_path = DatabasePath(data_dir_);
  f.db_bytes = FileBytes(db_path);
  f.wal_bytes = FileBytes(db_path + "-wal");
  f.index_bytes = FileBytes(WaybillIndexPath(data_dir_));
  return f;
}

}  // namespace station
