#include "daemon/storage/upload_backlog.h"

namespace station {

Result<UploadBacklog> ReadUploadBacklog(sql::Db& db) {
  auto read = sql::Stmt::Prepare(
      db,
      "SELECT (SELECT coalesce(max(id), 0) FROM scans), u.uploaded_upto, coalesce(u.last_upload_ms, 0),"
      " coalesce((SELECT received_ms FROM scans WHERE id > u.uploaded_upto ORDER BY id LIMIT 1), 0)"
      " FROM uplink_state u");
  if (!read.ok()) return read.status();
  UploadBacklog backlog;
  Status s = read->ForEachRow([&](const sql::Stmt& row) {
    backlog.newest_scan_id = row.ColumnInt(0);
    backlog.uploaded_upto = row.ColumnInt(1);
    backlog.last_upload_ms = row.ColumnInt(2);
    backlog.oldest_waiting_ms = row.ColumnInt(3);
  });
  if (!s.ok()) return s;
  return backlog;
}

Result<std::optional<std::int64_t>> OldestWaitingReceivedMs(sql::Db& db, std::int64_t uploaded_upto) {
  auto read = sql::Stmt::Prepare(db, "SELECT received_ms FROM scans WHERE id > ?1 ORDER BY id LIMIT 1");
  if (!read.ok()) return read.status();
  read->Bind(1, uploaded_upto);
  std::optional<std::int64_t> oldest;
  Status s = read->ForEachRow([&](const sql::Stmt& row) { oldest = row.ColumnInt(0); });
  if (!s.ok()) return s;
  return oldest;
}

}  // namespace station
