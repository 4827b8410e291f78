#include "daemon/station_view.h"

#include <sys/stat.h>

#include "daemon/run_file.h"
#include "daemon/waybill_index.h"

namespace station {
namespace {

std::vector<DockSummary> LastDocks(sql::Db& db, const char* sql) {
  std::vector<DockSummary> out;
  auto stmt = sql::Stmt::Prepare(db, sql);
  if (!stmt.ok()) return out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok() || !*row) break;
    DockSummary d;
    d.who = stmt->ColumnText(0);
    d.device = stmt->ColumnText(1);
    d.courier = stmt->ColumnText(2);
    d.batch = stmt->ColumnText(3);
    d.received_ms = stmt->ColumnInt(4);
    d.docks = stmt->ColumnInt(5);
    d.accepted = stmt->ColumnInt(6);
    out.push_back(std::move(d));
  }
  return out;
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
  return std::unique_ptr<StationView>(new StationView(std::move(*db), has_index));
}

Result<StationSummary> StationView::Summary() {
  StationSummary summary;
  {
    auto stmt = sql::Stmt::Prepare(db_, "SELECT type, count(*) FROM scans GROUP BY type");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      summary.scans_by_type[stmt->ColumnText(0)] = stmt->ColumnInt(1);
      summary.scans += stmt->ColumnInt(1);
    }
  }
  {
    auto stmt = sql::Stmt::Prepare(db_, "SELECT kind, count(*) FROM quarantine GROUP BY kind");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      summary.quarantine_by_kind[stmt->ColumnText(0)] = stmt->ColumnInt(1);
    }
  }
  // SQLite's bare-column rule: with max(), the other columns come from the
  // row holding the maximum, i.e. the latest dock.
  summary.by_device = LastDocks(db_,
                                "SELECT device, device, courier, batch, max(received_ms), count(*), sum(accepted)"
                                " FROM docks GROUP BY device ORDER BY device");
  summary.by_courier = LastDocks(db_,
                                 "SELECT courier, device, courier, batch, max(received_ms), count(*), sum(accepted)"
                                 " FROM docks GROUP BY courier ORDER BY courier");
  return summary;
}

Result<std::vector<ScanRow>> StationView::History(const std::string& waybill) {
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
      " SELECT waybill, bag, type, scan_time, station, courier, device, batch, peer_station, reason, note, seq,"
      " scan_time_ms, received_ms, weight_g, 0 FROM scans_full WHERE id IN ids AND waybill = ?1"
      " UNION ALL "
      "SELECT waybill, bag, type, scan_time, station, courier, device, batch, peer_station, reason, note, seq,"
      " scan_time_ms, received_ms, weight_g, 1 FROM scans_full"
      " WHERE waybill IS NULL AND bag IN (SELECT bag FROM scans WHERE id IN ids AND waybill = ?1 AND bag IS NOT NULL)"
      " ORDER BY 13, 14";
  auto stmt = sql::Stmt::Prepare(db_, select.c_str());
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, waybill);
  std::vector<ScanRow> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ScanRow r;
    r.waybill = stmt->ColumnText(0);
    r.bag = stmt->ColumnText(1);
    r.type = stmt->ColumnText(2);
    r.scan_time = stmt->ColumnText(3);
    r.station = stmt->ColumnText(4);
    r.courier = stmt->ColumnText(5);
    r.device = stmt->ColumnText(6);
    r.batch = stmt->ColumnText(7);
    r.peer_station = stmt->ColumnText(8);
    r.reason = stmt->ColumnText(9);
    r.note = stmt->ColumnText(10);
    r.seq = stmt->ColumnInt(11);
    r.scan_time_ms = stmt->ColumnInt(12);
    r.received_ms = stmt->ColumnInt(13);
    if (!stmt->ColumnIsNull(14)) r.weight_g = stmt->ColumnInt(14);
    r.bag_scan = stmt->ColumnInt(15) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<QuarantineRow>> StationView::Quarantine(const std::string& kind, std::size_t limit) {
  auto stmt = sql::Stmt::Prepare(db_,
                                 "SELECT id, kind, device, courier, batch, raw, reason, line, seq, received_ms"
                                 " FROM quarantine WHERE ?1 = '' OR kind = ?1 ORDER BY id DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, kind).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<QuarantineRow> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    QuarantineRow q;
    q.id = stmt->ColumnInt(0);
    q.kind = stmt->ColumnText(1);
    q.device = stmt->ColumnText(2);
    q.courier = stmt->ColumnText(3);
    q.batch = stmt->ColumnText(4);
    q.raw = stmt->ColumnText(5);
    q.reason = stmt->ColumnText(6);
    q.line = stmt->ColumnInt(7);
    q.seq = stmt->ColumnInt(8);
    q.received_ms = stmt->ColumnInt(9);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace station
