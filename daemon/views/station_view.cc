#include "daemon/views/station_view.h"

#include <sys/stat.h>

#include <algorithm>

#include "daemon/storage/run_file.h"
#include "daemon/storage/upload_backlog.h"
#include "daemon/storage/waybill_index.h"
#include "problems/deadlines.h"
#include "scanner/manifest.h"

namespace station {
namespace {

Result<std::vector<DockSummary>> LastDocks(sql::Db& db, const char* sql) {
  auto stmt = sql::Stmt::Prepare(db, sql);
  if (!stmt.ok()) return stmt.status();
  std::vector<DockSummary> out;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    out.push_back({row.ColumnText(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnInt(4),
                   row.ColumnInt(5), row.ColumnInt(6)});
  });
  if (!s.ok()) return s;
  return out;
}

// Migration 3 of daemon/storage/schema.cc added the discrepancies table, 6 the
// problem cases and alerts.
constexpr int kDiscrepanciesSchema = 3;
constexpr int kProblemsSchema = 6;
// Migration 7 added scans.clock_flag.
constexpr int kClockFlagSchema = 7;

// The discrepancy filter, bound by BindDiscrepancyFilter: ?1 kind, ?2
// origin ('' for any), ?3 whether to filter by state, ?4..?7 the states
// ('' matches none).
constexpr const char* kDiscrepancyWhere =
    " WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR origin_station = ?2)"
    " AND (?3 = 0 OR state IN (?4, ?5, ?6, ?7))";

void BindDiscrepancyFilter(sql::Stmt& stmt, const DiscrepancyFilter& filter) {
  stmt.Bind(1, filter.kind).Bind(2, filter.origin).Bind(3, std::int64_t{filter.states.empty() ? 0 : 1});
  for (std::size_t i = 0; i < 4; ++i) {
    stmt.Bind(static_cast<int>(4 + i), i < filter.states.size() ? std::string_view(filter.states[i]) : "");
  }
}

}  // namespace

Result<std::unique_ptr<StationView>> StationView::Open(const std::string& data_dir) {
  std::string path = DatabasePath(data_dir);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("no station database at " + path);
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  // The waybill index is attached when stationd has made one; without it,
  // lookups scan the table (slower, same answers).
  bool has_index = false;
  std::string index_path = WaybillIndexPath(data_dir);
  if (::stat(index_path.c_str(), &st) == 0) {
    auto attach = sql::Stmt::Prepare(*db, "ATTACH DATABASE ?1 AS idx");
    if (attach.ok()) has_index = attach->Bind(1, index_path).Run().ok();
    if (has_index) has_index = db->QueryInt("SELECT count(*) FROM idx.indexed_upto").ok();
  }
  return std::unique_ptr<StationView>(new StationView(std::move(*db), has_index, data_dir));
}

Status StationView::RequireSchema(int version, const std::string& what) {
  auto have = db_.QueryInt("PRAGMA user_version");
  if (!have.ok()) return have.status();
  if (*have >= version) return Status::OK();
  return Status::NotFound("no " + what + " in this station database",
                          "its schema " + std::to_string(*have) + " predates them; start the newer stationd once");
}

Result<StationSummary> StationView::Summary() {
  StationSummary summary;
  auto version = db_.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  // One pass over the scans for both counts: clock_flag has no index.
  auto types = sql::Stmt::Prepare(db_, *version >= kClockFlagSchema
                                           ? "SELECT type, clock_flag, count(*) FROM scans GROUP BY type, clock_flag"
                                           : "SELECT type, NULL, count(*) FROM scans GROUP BY type");
  if (!types.ok()) return types.status();
  Status s = types->ForEachRow([&](const sql::Stmt& row) {
    const std::int64_t n = row.ColumnInt(2);
    summary.scans_by_type[row.ColumnText(0)] += n;
    summary.scans += n;
    const std::string flag = row.ColumnText(1);
    if (flag == "future") summary.clock_future += n;
    if (flag == "past") summary.clock_past += n;
  });
  if (!s.ok()) return s;
  auto kinds = sql::Stmt::Prepare(db_, "SELECT kind, count(*) FROM quarantine GROUP BY kind");
  if (!kinds.ok()) return kinds.status();
  s = kinds->ForEachRow(
      [&](const sql::Stmt& row) { summary.quarantine_by_kind[row.ColumnText(0)] = row.ColumnInt(1); });
  if (!s.ok()) return s;
  // SQLite's bare-column rule: with max(), the other columns come from the
  // row holding the maximum, i.e. the latest dock.
  auto by_device = LastDocks(db_,
                             "SELECT device, device, courier, batch, max(received_ms), count(*), sum(accepted)"
                             " FROM docks GROUP BY device ORDER BY device");
  if (!by_device.ok()) return by_device.status();
  auto by_courier = LastDocks(db_,
                              "SELECT courier, device, courier, batch, max(received_ms), count(*), sum(accepted)"
                              " FROM docks GROUP BY courier ORDER BY courier");
  if (!by_courier.ok()) return by_courier.status();
  summary.by_device = std::move(*by_device);
  summary.by_courier = std::move(*by_courier);
  auto backlog = ReadUploadBacklog(db_);
  if (!backlog.ok()) return backlog.status();
  summary.newest_scan_id = backlog->newest_scan_id;
  summary.uploaded_upto = backlog->uploaded_upto;
  summary.last_upload_ms = backlog->last_upload_ms;
  summary.oldest_waiting_ms = backlog->oldest_waiting_ms;
  auto link = sql::Stmt::Prepare(
      db_,
      "SELECT (SELECT count(*) FROM manifest), (SELECT count(*) FROM inbox),"
      " (SELECT count(*) FROM outbox WHERE posted_ms IS NULL AND refused IS NULL),"
      " (SELECT count(*) FROM outbox WHERE refused IS NOT NULL)");
  if (!link.ok()) return link.status();
  s = link->ForEachRow([&](const sql::Stmt& row) {
    summary.manifest_rows = row.ColumnInt(0);
    summary.inbox = row.ColumnInt(1);
    summary.outbox_waiting = row.ColumnInt(2);
    summary.outbox_refused = row.ColumnInt(3);
  });
  if (!s.ok()) return s;
  return summary;
}

Result<std::vector<ScanRow>> StationView::History(const std::string& waybill) {
  auto version = db_.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  // A database stationd has not migrated yet has no clock flags to show.
  const std::string columns =
      "waybill, bag, type, scan_time, station, courier, device, batch, peer_station, reason, note, seq,"
      " scan_time_ms, received_ms, weight_g, " +
      std::string(*version >= kClockFlagSchema ? "clock_flag" : "NULL AS clock_flag");
  // The waybill index (waybills.db) covers scans up to its high-water mark;
  // the few committed since are found by a range scan of the scans table's
  // tail, so a scan is visible the moment it is acknowledged.
  const char* with_index =
      "WITH ids(id) AS ("
      " SELECT scan_id FROM idx.waybill_scans WHERE waybill = ?1"
      " UNION SELECT id FROM main.scans WHERE id > (SELECT upto FROM idx.indexed_upto) AND waybill = ?1)";
  const char* without_index = "WITH ids(id) AS (SELECT id FROM main.scans WHERE waybill = ?1)";
  const std::string select =
      std::string(has_index_ ? with_index : without_index) +
      " SELECT " + columns + ", 0, id FROM scans_full WHERE id IN ids AND waybill = ?1"
      " UNION ALL SELECT " + columns + ", 1, id FROM scans_full"
      " WHERE waybill IS NULL AND bag IN (SELECT bag FROM scans WHERE id IN ids AND waybill = ?1 AND bag IS NOT NULL)"
      " ORDER BY 13, 14";
  auto stmt = sql::Stmt::Prepare(db_, select.c_str());
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, waybill);
  std::vector<ScanRow> out;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    ScanRow r;
    r.waybill = row.ColumnText(0);
    r.bag = row.ColumnText(1);
    r.type = row.ColumnText(2);
    r.scan_time = row.ColumnText(3);
    r.station = row.ColumnText(4);
    r.courier = row.ColumnText(5);
    r.device = row.ColumnText(6);
    r.batch = row.ColumnText(7);
    r.peer_station = row.ColumnText(8);
    r.reason = row.ColumnText(9);
    r.note = row.ColumnText(10);
    r.seq = row.ColumnInt(11);
    r.scan_time_ms = row.ColumnInt(12);
    r.received_ms = row.ColumnInt(13);
    if (!row.ColumnIsNull(14)) r.weight_g = row.ColumnInt(14);
    r.clock_flag = row.ColumnText(15);
    r.bag_scan = row.ColumnInt(16) != 0;
    r.id = row.ColumnInt(17);
    out.push_back(std::move(r));
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<QuarantineRow>> StationView::Quarantine(const std::string& kind, std::size_t limit) {
  auto stmt = sql::Stmt::Prepare(db_,
                                 "SELECT id, kind, device, courier, batch, raw, reason, line, seq, received_ms"
                                 " FROM quarantine WHERE ?1 = '' OR kind = ?1 ORDER BY id DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, kind).Bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));  // 0: all
  std::vector<QuarantineRow> out;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    out.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnText(4),
                   row.ColumnText(5), row.ColumnText(6), row.ColumnInt(7), row.ColumnInt(8), row.ColumnInt(9)});
  });
  if (!s.ok()) return s;
  return out;
}

Result<DiscrepancyList> StationView::Discrepancies(const DiscrepancyFilter& filter) {
  if (filter.states.size() > 4) return Status::InvalidArgument("discrepancy filter", "more than four states");
  if (Status s = RequireSchema(kDiscrepanciesSchema, "discrepancies"); !s.ok()) return s;
  // One snapshot for the counts and the rows: stationd may write between.
  auto snapshot = sql::ReadTxn::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();

  DiscrepancyList list;
  const std::string count_sql =
      std::string("SELECT kind, state, count(*) FROM discrepancies") + kDiscrepancyWhere + " GROUP BY kind, state";
  auto counts = sql::Stmt::Prepare(db_, count_sql.c_str());
  if (!counts.ok()) return counts.status();
  BindDiscrepancyFilter(*counts, filter);
  Status s = counts->ForEachRow([&](const sql::Stmt& row) {
    std::int64_t n = row.ColumnInt(2);
    list.by_kind[row.ColumnText(0)] += n;
    list.by_state[row.ColumnText(1)] += n;
    list.matched += n;
  });
  if (!s.ok()) return s;

  // LIMIT -1 is SQLite's "no limit".
  const std::string row_sql =
      std::string(
          "SELECT id, kind, waybill, bag, origin_station, dest_station, state, coalesce(note, ''),"
          " coalesce(closed_by, ''), coalesce(dispatched_ms, 0), coalesce(first_scan_id, 0), count,"
          " opened_ms, changed_ms, last_run, bag_missing FROM discrepancies") +
      kDiscrepancyWhere + " ORDER BY opened_ms DESC, id DESC LIMIT ?8";
  auto rows = sql::Stmt::Prepare(db_, row_sql.c_str());
  if (!rows.ok()) return rows.status();
  BindDiscrepancyFilter(*rows, filter);
  rows->Bind(8, filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
  s = rows->ForEachRow([&](const sql::Stmt& row) {
    DiscrepancyRow d;
    d.id = row.ColumnInt(0);
    d.kind = row.ColumnText(1);
    d.waybill = row.ColumnText(2);
    d.bag = row.ColumnText(3);
    d.origin_station = row.ColumnText(4);
    d.dest_station = row.ColumnText(5);
    d.state = row.ColumnText(6);
    d.note = row.ColumnText(7);
    d.closed_by = row.ColumnText(8);
    d.dispatched_ms = row.ColumnInt(9);
    d.first_scan_id = row.ColumnInt(10);
    d.count = row.ColumnInt(11);
    d.opened_ms = row.ColumnInt(12);
    d.changed_ms = row.ColumnInt(13);
    d.last_run = row.ColumnInt(14);
    d.bag_missing = row.ColumnInt(15) != 0;
    list.rows.push_back(std::move(d));
  });
  if (!s.ok()) return s;
  return list;
}

namespace {

// The columns ProblemCaseOf reads, in its order.
constexpr const char* kProblemCaseColumns =
    "SELECT c.case_no, c.waybill, c.reason, c.origin_station, c.state, c.opened_by, c.note,"
    " coalesce(c.suggestion, ''), c.opened_ms, c.answer_due_ms, c.close_due_ms, c.problem_scans, c.weight_g,"
    " c.reference_weight_g, c.answer_late, c.close_late, coalesce(c.resolution, ''),"
    " coalesce(c.resolution_address, ''), coalesce(c.answer_note, ''), coalesce(c.answered_by, ''),"
    " coalesce(c.resolution_phone, ''), coalesce(c.answered_ms, 0), coalesce(c.closed_ms, 0),"
    " coalesce(c.closed_by, ''), coalesce(c.close_note, ''), c.closed_by_scan_id,"
    " coalesce((SELECT m.recipient_phone FROM manifest m WHERE m.waybill = c.waybill), '')"
    " FROM problem_cases c";

ProblemCaseRow ProblemCaseOf(const sql::Stmt& row) {
  const auto optional_int = [&row](int col) {
    return row.ColumnIsNull(col) ? std::nullopt : std::optional<std::int64_t>(row.ColumnInt(col));
  };
  ProblemCaseRow c;
  c.case_no = row.ColumnText(0);
  c.waybill = row.ColumnText(1);
  c.reason = row.ColumnText(2);
  c.origin_station = row.ColumnText(3);
  c.state = row.ColumnText(4);
  c.opened_by = row.ColumnText(5);
  c.note = row.ColumnText(6);
  c.suggestion = row.ColumnText(7);
  c.opened_ms = row.ColumnInt(8);
  c.answer_due_ms = row.ColumnInt(9);
  c.close_due_ms = row.ColumnInt(10);
  c.problem_scans = row.ColumnInt(11);
  c.weight_g = optional_int(12);
  c.reference_weight_g = optional_int(13);
  c.answer_late = row.ColumnInt(14) != 0;
  c.close_late = row.ColumnInt(15) != 0;
  c.resolution = row.ColumnText(16);
  c.resolution_address = row.ColumnText(17);
  c.answer_note = row.ColumnText(18);
  c.answered_by = row.ColumnText(19);
  c.resolution_phone = row.ColumnText(20);
  c.answered_ms = row.ColumnInt(21);
  c.closed_ms = row.ColumnInt(22);
  c.closed_by = row.ColumnText(23);
  c.close_note = row.ColumnText(24);
  c.closed_by_scan_id = optional_int(25);
  const std::string phone = row.ColumnText(26);
  if (!phone.empty()) c.recipient_phone_masked = MaskPhone(phone);
  return c;
}

std::optional<problems::CaseState> CaseStateOf(const std::string& key) {
  for (int i = 0; i < problems::kCaseStateCount; ++i) {
    const auto state = static_cast<problems::CaseState>(i);
    if (key == problems::CaseStateKey(state)) return state;
  }
  return std::nullopt;
}

// Escalated by the desk, or past a deadline at `late_at_ms` by the same
// rule the desk applies (problems::LateAt).
bool Overdue(const ProblemCaseRow& c, std::optional<std::int64_t> late_at_ms) {
  if (c.escalated()) return true;
  const auto state = CaseStateOf(c.state);
  if (!late_at_ms || !state) return false;
  return problems::LateAt(*state, {c.answer_due_ms, c.close_due_ms}, *late_at_ms).any();
}

}  // namespace

Result<ProblemCaseList> StationView::Problems(const ProblemFilter& filter) {
  if (Status s = RequireSchema(kProblemsSchema, "problem cases"); !s.ok()) return s;
  // Cases are few (tens a day at a busy station): the state and reason are
  // filtered here, lateness and the limit in C++ with the desk's own rule.
  const std::string select = std::string(kProblemCaseColumns) +
                             " WHERE (?1 = '' OR c.reason = ?1) ORDER BY c.opened_ms DESC, c.id DESC";
  auto stmt = sql::Stmt::Prepare(db_, select.c_str());
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, filter.reason);
  ProblemCaseList list;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    ProblemCaseRow c = ProblemCaseOf(row);
    if (!filter.states.empty() &&
        std::find(filter.states.begin(), filter.states.end(), c.state) == filter.states.end()) {
      return;
    }
    if (filter.overdue && !Overdue(c, filter.late_at_ms)) return;
    ++list.matched;
    ++list.by_state[c.state];
    if (filter.limit == 0 || list.rows.size() < filter.limit) list.rows.push_back(std::move(c));
  });
  if (!s.ok()) return s;
  return list;
}

Result<ProblemCaseDetail> StationView::ProblemCase(const std::string& case_no) {
  if (Status s = RequireSchema(kProblemsSchema, "problem cases"); !s.ok()) return s;
  // One snapshot for the case and its trail: stationd may write between.
  auto snapshot = sql::ReadTxn::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();
  const std::string select = std::string(kProblemCaseColumns) + " WHERE c.case_no = ?1";
  auto stmt = sql::Stmt::Prepare(db_, select.c_str());
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, case_no);
  std::optional<ProblemCaseDetail> detail;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) { detail = ProblemCaseDetail{ProblemCaseOf(row), {}}; });
  if (!s.ok()) return s;
  if (!detail) return Status::NotFound("no problem case " + case_no);
  auto events = sql::Stmt::Prepare(db_,
                                   "SELECT e.at_ms, e.actor, e.event, e.detail FROM problem_events e"
                                   " JOIN problem_cases c ON c.id = e.case_id WHERE c.case_no = ?1 ORDER BY e.id");
  if (!events.ok()) return events.status();
  events->Bind(1, case_no);
  s = events->ForEachRow([&](const sql::Stmt& row) {
    detail->events.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3)});
  });
  if (!s.ok()) return s;
  return std::move(*detail);
}

Result<std::vector<ProblemAlertRow>> StationView::ProblemAlerts() {
  if (Status s = RequireSchema(kProblemsSchema, "problem alerts"); !s.ok()) return s;
  auto stmt = sql::Stmt::Prepare(db_,
                                 "SELECT case_no, from_station, waybill, reason, state, coalesce(resolution, ''),"
                                 " coalesce(answered_by, ''), body, received_ms, coalesce(answered_ms, 0),"
                                 " coalesce(closed_ms, 0) FROM problem_alerts ORDER BY received_ms DESC, case_no DESC");
  if (!stmt.ok()) return stmt.status();
  std::vector<ProblemAlertRow> out;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    out.push_back({row.ColumnText(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnText(4),
                   row.ColumnText(5), row.ColumnText(6), row.ColumnText(7), row.ColumnInt(8), row.ColumnInt(9),
                   row.ColumnInt(10)});
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace station
