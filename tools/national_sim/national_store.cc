#include "tools/national_sim/national_store.h"

namespace station::national {
namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS scans (
  station TEXT NOT NULL, device TEXT NOT NULL, batch TEXT NOT NULL, seq INTEGER NOT NULL,
  station_scan_id INTEGER NOT NULL, courier TEXT NOT NULL, waybill TEXT, bag TEXT, type TEXT NOT NULL,
  scan_time TEXT NOT NULL, peer_station TEXT, weight_g INTEGER, reason TEXT, note TEXT,
  station_received_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,
  PRIMARY KEY (station, device, batch, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scans_by_waybill ON scans (waybill);
CREATE TABLE IF NOT EXISTS duplicates_seen (station TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
)sql";

}  // namespace

Result<std::unique_ptr<NationalStore>> NationalStore::Open(const std::string& path, bool read_only) {
  sql::OpenOptions options;
  options.read_only = read_only;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  std::unique_ptr<NationalStore> store(new NationalStore(std::move(*db)));
  if (read_only) return store;
  if (Status s = store->db_.Exec(kSchema); !s.ok()) return s;
  auto insert = sql::Stmt::Prepare(
      store->db_,
      "INSERT INTO scans (station, device, batch, seq, station_scan_id, courier, waybill, bag, type, scan_time,"
      " peer_station, weight_g, reason, note, station_received_ms, received_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
      " ON CONFLICT (station, device, batch, seq) DO NOTHING");
  if (!insert.ok()) return insert.status();
  store->insert_ = std::make_unique<sql::Stmt>(std::move(*insert));
  auto dup = sql::Stmt::Prepare(store->db_,
                                "INSERT INTO duplicates_seen (station, count) VALUES (?1, ?2)"
                                " ON CONFLICT (station) DO UPDATE SET count = count + ?2");
  if (!dup.ok()) return dup.status();
  store->count_duplicates_ = std::make_unique<sql::Stmt>(std::move(*dup));
  return store;
}

Status NationalStore::SaveUpload(const std::string& station, const std::vector<UploadedScan>& scans,
                                 std::int64_t received_ms, int& stored, int& duplicates) {
  stored = duplicates = 0;
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (const UploadedScan& s : scans) {
    sql::Stmt& ins = *insert_;
    ins.Reset();
    ins.Bind(1, station).Bind(2, s.device).Bind(3, s.batch).Bind(4, s.seq).Bind(5, s.id).Bind(6, s.courier);
    ins.BindTextOrNull(7, s.waybill).BindTextOrNull(8, s.bag).Bind(9, s.type).Bind(10, s.time);
    ins.BindTextOrNull(11, s.peer_station).BindOptional(12, s.weight_g).BindTextOrNull(13, s.reason);
    ins.BindTextOrNull(14, s.note).Bind(15, s.received_ms).Bind(16, received_ms);
    if (Status st = ins.Run(); !st.ok()) return st;
    if (db_.Changes() == 1) {
      ++stored;
    } else {
      ++duplicates;
    }
  }
  if (duplicates > 0) {
    count_duplicates_->Reset();
    if (Status st = count_duplicates_->Bind(1, station).Bind(2, std::int64_t{duplicates}).Run(); !st.ok()) return st;
  }
  return txn->Commit();
}

Result<std::map<std::string, NationalStore::StationCounts>> NationalStore::Counts() {
  std::map<std::string, StationCounts> out;
  auto by_type = sql::Stmt::Prepare(db_, "SELECT station, type, count(*) FROM scans GROUP BY station, type");
  if (!by_type.ok()) return by_type.status();
  Status s = by_type->ForEachRow([&](const sql::Stmt& row) {
    StationCounts& c = out[row.ColumnText(0)];
    c.by_type[row.ColumnText(1)] = row.ColumnInt(2);
    c.scans += row.ColumnInt(2);
  });
  if (!s.ok()) return s;
  auto dups = sql::Stmt::Prepare(db_, "SELECT station, count FROM duplicates_seen");
  if (!dups.ok()) return dups.status();
  s = dups->ForEachRow([&](const sql::Stmt& row) { out[row.ColumnText(0)].duplicates_seen = row.ColumnInt(1); });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::pair<std::string, UploadedScan>>> NationalStore::History(const std::string& waybill) {
  auto stmt = sql::Stmt::Prepare(db_,
                                 "SELECT station, device, batch, seq, station_scan_id, courier, waybill, bag, type,"
                                 " scan_time, peer_station, weight_g, reason, note, station_received_ms FROM scans"
                                 " WHERE waybill = ?1 ORDER BY scan_time, station_received_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, waybill);
  std::vector<std::pair<std::string, UploadedScan>> out;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    UploadedScan scan;
    scan.device = row.ColumnText(1);
    scan.batch = row.ColumnText(2);
    scan.seq = row.ColumnInt(3);
    scan.id = row.ColumnInt(4);
    scan.courier = row.ColumnText(5);
    scan.waybill = row.ColumnText(6);
    scan.bag = row.ColumnText(7);
    scan.type = row.ColumnText(8);
    scan.time = row.ColumnText(9);
    scan.peer_station = row.ColumnText(10);
    if (!row.ColumnIsNull(11)) scan.weight_g = row.ColumnInt(11);
    scan.reason = row.ColumnText(12);
    scan.note = row.ColumnText(13);
    scan.received_ms = row.ColumnInt(14);
    out.emplace_back(row.ColumnText(0), std::move(scan));
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace station::national
