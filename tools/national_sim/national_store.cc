#include "tools/national_sim/national_store.h"

#include "core/iso_time.h"

namespace station::national {
namespace {

// manifest.seq is AUTOINCREMENT, not a plain rowid: a changed row is deleted
// and inserted again, and must come out above every sequence ever served,
// even when it was the highest one (a plain rowid would reuse that number,
// and a station whose cursor is already there would never see the change).
//
// A manifest row is one (waybill, dest_station), in that order so that the
// same index answers a station's lookup (its surplus parcels, whatever
// their destination) by waybill: a second index on waybill made a load of
// 1,000,000 rows take 17 s instead of 9 s (sqlite3 shell, random order);
// this one costs what UNIQUE (dest_station, waybill) did. A national.db
// made before lookups keeps that constraint as well (loads pay for both).
//
// scans has no index on waybill: random waybills spread every upload over
// the whole index, so each commit rewrote most of its pages and national
// stored 40,000 scans/s instead of 250,000 (bench_uplink). One waybill's
// history (`query --waybill`, tests) is a scan of the table instead, about
// a quarter of a second a million scans.
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS scans (
  station TEXT NOT NULL, device TEXT NOT NULL, batch TEXT NOT NULL, seq INTEGER NOT NULL,
  station_scan_id INTEGER NOT NULL, courier TEXT NOT NULL, waybill TEXT, bag TEXT, type TEXT NOT NULL,
  scan_time TEXT NOT NULL, peer_station TEXT, weight_g INTEGER, reason TEXT, note TEXT,
  station_received_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,
  PRIMARY KEY (station, device, batch, seq)
) WITHOUT ROWID;
DROP INDEX IF EXISTS scans_by_waybill;
CREATE TABLE IF NOT EXISTS duplicates_seen (station TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS manifest (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  dest_station TEXT NOT NULL, waybill TEXT NOT NULL, origin_station TEXT NOT NULL, dispatched_at TEXT NOT NULL,
  bag TEXT NOT NULL, declared_weight_g INTEGER, recipient_phone TEXT NOT NULL, recipient_district TEXT NOT NULL,
  loaded_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS manifest_identity ON manifest (waybill, dest_station);
CREATE INDEX IF NOT EXISTS manifest_by_dest ON manifest (dest_station, seq);
CREATE TABLE IF NOT EXISTS mailbox (
  recipient TEXT NOT NULL, seq INTEGER NOT NULL, from_station TEXT NOT NULL, msg_id TEXT NOT NULL,
  kind TEXT NOT NULL, body TEXT NOT NULL, posted_ms INTEGER NOT NULL,
  PRIMARY KEY (recipient, seq),
  UNIQUE (from_station, msg_id)
);
)sql";

Result<std::unique_ptr<sql::Stmt>> PrepareOwned(sql::Db& db, const char* text) {
  auto stmt = sql::Stmt::Prepare(db, text);
  if (!stmt.ok()) return stmt.status();
  return std::make_unique<sql::Stmt>(std::move(*stmt));
}

// The columns every manifest query reads, from `first` on: waybill,
// origin_station, dispatched_at, bag, declared_weight_g, recipient_phone,
// recipient_district.
ManifestRow ManifestColumns(const sql::Stmt& r, int first, std::string dest) {
  ManifestRow row;
  row.waybill = r.ColumnText(first);
  row.origin_station = r.ColumnText(first + 1);
  row.dest_station = std::move(dest);
  row.dispatched_at = r.ColumnText(first + 2);
  auto ms = ParseIsoInstant(row.dispatched_at);  // checked when loaded
  row.dispatched_ms = ms.ok() ? *ms : 0;
  row.bag = r.ColumnText(first + 3);
  if (!r.ColumnIsNull(first + 4)) row.declared_weight_g = r.ColumnInt(first + 4);
  row.recipient_phone = r.ColumnText(first + 5);
  row.recipient_district = r.ColumnText(first + 6);
  return row;
}

bool SameManifestRow(const sql::Stmt& held, const ManifestRow& row) {
  // The columns of find_manifest_ after seq, compared exactly as written.
  const bool same_weight =
      held.ColumnIsNull(4) ? !row.declared_weight_g.has_value() : row.declared_weight_g == held.ColumnInt(4);
  return held.ColumnText(1) == row.origin_station && held.ColumnText(2) == row.dispatched_at &&
         held.ColumnText(3) == row.bag && same_weight && held.ColumnText(5) == row.recipient_phone &&
         held.ColumnText(6) == row.recipient_district;
}

}  // namespace

Result<std::unique_ptr<NationalStore>> NationalStore::Open(const std::string& path, bool read_only) {
  sql::OpenOptions options;
  options.read_only = read_only;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  std::unique_ptr<NationalStore> store(new NationalStore(std::move(*db)));
  if (read_only) return store;
  if (Status s = store->db_.Exec(kSchema); !s.ok()) return s;
  if (Status s = store->Prepare(); !s.ok()) return s;
  return store;
}

Status NationalStore::Prepare() {
  const std::pair<std::unique_ptr<sql::Stmt>*, const char*> statements[] = {
      {&insert_scan_,
       "INSERT INTO scans (station, device, batch, seq, station_scan_id, courier, waybill, bag, type, scan_time,"
       " peer_station, weight_g, reason, note, station_received_ms, received_ms)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
       " ON CONFLICT (station, device, batch, seq) DO NOTHING"},
      {&count_duplicates_,
       "INSERT INTO duplicates_seen (station, count) VALUES (?1, ?2)"
       " ON CONFLICT (station) DO UPDATE SET count = count + ?2"},
      {&find_manifest_,
       "SELECT seq, origin_station, dispatched_at, bag, declared_weight_g, recipient_phone, recipient_district"
       " FROM manifest WHERE dest_station = ?1 AND waybill = ?2"},
      {&delete_manifest_, "DELETE FROM manifest WHERE seq = ?1"},
      {&insert_manifest_,
       "INSERT INTO manifest (dest_station, waybill, origin_station, dispatched_at, bag, declared_weight_g,"
       " recipient_phone, recipient_district, loaded_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&manifest_after_,
       "SELECT seq, waybill, origin_station, dispatched_at, bag, declared_weight_g, recipient_phone,"
       " recipient_district FROM manifest WHERE dest_station = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"},
      {&manifest_of_waybill_,
       "SELECT dest_station, waybill, origin_station, dispatched_at, bag, declared_weight_g, recipient_phone,"
       " recipient_district FROM manifest WHERE waybill = ?1 ORDER BY seq"},
      {&find_post_, "SELECT seq, recipient, kind, body FROM mailbox WHERE from_station = ?1 AND msg_id = ?2"},
      {&next_mail_seq_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM mailbox WHERE recipient = ?1"},
      {&insert_mail_,
       "INSERT INTO mailbox (recipient, seq, from_station, msg_id, kind, body, posted_ms)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&mail_after_,
       "SELECT seq, from_station, msg_id, kind, body, posted_ms FROM mailbox"
       " WHERE recipient = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"},
  };
  for (const auto& [member, text] : statements) {
    auto stmt = PrepareOwned(db_, text);
    if (!stmt.ok()) return stmt.status();
    *member = std::move(*stmt);
  }
  return Status::OK();
}

Status NationalStore::SaveUploads(std::vector<PendingUpload>& uploads, std::int64_t received_ms) {
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  sql::Stmt& ins = *insert_scan_;
  for (PendingUpload& upload : uploads) {
    upload.stored = upload.duplicates = 0;
    for (const UploadedScan& s : *upload.scans) {
      // The hot path (national takes 150,000 scans a second): text is bound without
      // a copy, which is safe because `s` outlives the step and Reset()
      // comes before the next bind. Required columns are never empty (the
      // decoder refuses that), so "OrNull" only applies to optional ones.
      ins.Reset();
      ins.BindViewOrNull(1, upload.station).BindViewOrNull(2, s.device).BindViewOrNull(3, s.batch).Bind(4, s.seq);
      ins.Bind(5, s.id).BindViewOrNull(6, s.courier).BindViewOrNull(7, s.waybill).BindViewOrNull(8, s.bag);
      ins.BindViewOrNull(9, s.type).BindViewOrNull(10, s.time).BindViewOrNull(11, s.peer_station);
      ins.BindOptional(12, s.weight_g).BindViewOrNull(13, s.reason).BindViewOrNull(14, s.note);
      ins.Bind(15, s.received_ms).Bind(16, received_ms);
      if (Status st = ins.Run(); !st.ok()) return st;  // ~Txn rolls back the whole group
      if (db_.Changes() == 1) {
        ++upload.stored;
      } else {
        ++upload.duplicates;
      }
    }
    ins.Reset();  // drop the views before the scans they point into can go
    if (upload.duplicates > 0) {
      count_duplicates_->Reset();
      count_duplicates_->Bind(1, upload.station).Bind(2, std::int64_t{upload.duplicates});
      if (Status st = count_duplicates_->Run(); !st.ok()) return st;
    }
  }
  return txn->Commit();
}

Result<NationalStore::ManifestLoad> NationalStore::LoadManifest(const std::vector<ManifestRow>& rows,
                                                                std::int64_t loaded_ms) {
  ManifestLoad load;
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (const ManifestRow& row : rows) {
    find_manifest_->Reset();
    find_manifest_->Bind(1, row.dest_station).Bind(2, row.waybill);
    auto held = find_manifest_->Step();
    if (!held.ok()) return held.status();
    if (*held) {
      const bool same = SameManifestRow(*find_manifest_, row);
      const std::int64_t seq = find_manifest_->ColumnInt(0);
      find_manifest_->Reset();
      if (same) {
        ++load.unchanged;
        continue;
      }
      delete_manifest_->Reset();
      if (Status s = delete_manifest_->Bind(1, seq).Run(); !s.ok()) return s;
      ++load.changed;
    } else {
      find_manifest_->Reset();
      ++load.added;
    }
    insert_manifest_->Reset();
    insert_manifest_->Bind(1, row.dest_station).Bind(2, row.waybill).Bind(3, row.origin_station);
    insert_manifest_->Bind(4, row.dispatched_at).Bind(5, row.bag).BindOptional(6, row.declared_weight_g);
    insert_manifest_->Bind(7, row.recipient_phone).Bind(8, row.recipient_district).Bind(9, loaded_ms);
    if (Status s = insert_manifest_->Run(); !s.ok()) return s;
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return load;
}

Result<NationalStore::ManifestPage> NationalStore::ManifestAfter(const std::string& dest, std::int64_t after,
                                                                 int limit) {
  ManifestPage page;
  page.last_seq = after;
  manifest_after_->Reset();
  // One row past the limit tells whether more are waiting.
  manifest_after_->Bind(1, dest).Bind(2, after).Bind(3, std::int64_t{limit} + 1);
  Status s = manifest_after_->ForEachRow([&](const sql::Stmt& r) {
    if (static_cast<int>(page.rows.size()) == limit) {
      page.more = true;
      return;
    }
    page.last_seq = r.ColumnInt(0);
    page.rows.push_back(ManifestColumns(r, 1, dest));
  });
  if (!s.ok()) return s;
  return page;
}

Result<NationalStore::Lookup> NationalStore::LookUp(const std::vector<std::string>& waybills,
                                                   const std::string& asking_station) {
  Lookup lookup;
  for (const std::string& waybill : waybills) {
    manifest_of_waybill_->Reset();
    manifest_of_waybill_->Bind(1, waybill);
    const std::size_t before = lookup.rows.size();
    Status s = manifest_of_waybill_->ForEachRow([&](const sql::Stmt& r) {
      ManifestRow row = ManifestColumns(r, 1, r.ColumnText(0));
      // The recipient's phone is for the station that delivers (DESIGN §7).
      if (row.dest_station != asking_station) row.recipient_phone.clear();
      lookup.rows.push_back(std::move(row));
    });
    if (!s.ok()) return s;
    (lookup.rows.size() > before ? lookup.found : lookup.not_found).push_back(waybill);
  }
  return lookup;
}

Result<NationalStore::Posted> NationalStore::Post(const std::string& to, const std::string& from,
                                                  const std::string& msg_id, const std::string& kind,
                                                  std::string_view body, std::int64_t posted_ms) {
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  Posted posted;
  find_post_->Reset();
  find_post_->Bind(1, from).Bind(2, msg_id);
  auto held = find_post_->Step();
  if (!held.ok()) return held.status();
  if (*held) {
    // A resend: (from, msg_id) names the message for ever, so the one held
    // stands even if this copy differs.
    posted.seq = find_post_->ColumnInt(0);
    posted.duplicate = true;
    find_post_->Reset();
    return posted;  // nothing written; ~Txn rolls back the empty transaction
  }
  find_post_->Reset();
  // MAX + 1 inside the write transaction: no other writer can take the same
  // number, and mail is never deleted, so a number is never reused.
  next_mail_seq_->Reset();
  next_mail_seq_->Bind(1, to);
  auto next = next_mail_seq_->Step();
  if (!next.ok()) return next.status();
  posted.seq = next_mail_seq_->ColumnInt(0);
  next_mail_seq_->Reset();
  insert_mail_->Reset();
  insert_mail_->Bind(1, to).Bind(2, posted.seq).Bind(3, from).Bind(4, msg_id).Bind(5, kind).Bind(6, body);
  insert_mail_->Bind(7, posted_ms);
  if (Status s = insert_mail_->Run(); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return posted;
}

Result<NationalStore::MailPage> NationalStore::MailAfter(const std::string& recipient, std::int64_t after, int limit) {
  MailPage page;
  mail_after_->Reset();
  mail_after_->Bind(1, recipient).Bind(2, after).Bind(3, std::int64_t{limit} + 1);
  Status s = mail_after_->ForEachRow([&](const sql::Stmt& r) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.more = true;
      return;
    }
    MailItem item;
    item.seq = r.ColumnInt(0);
    item.from = r.ColumnText(1);
    item.msg_id = r.ColumnText(2);
    item.kind = r.ColumnText(3);
    item.body = r.ColumnText(4);
    item.posted_ms = r.ColumnInt(5);
    page.items.push_back(std::move(item));
  });
  if (!s.ok()) return s;
  return page;
}

Result<std::map<std::string, NationalStore::StationCounts>> NationalStore::Counts() {
  std::map<std::string, StationCounts> out;
  const std::pair<const char*, std::function<void(const sql::Stmt&)>> queries[] = {
      {"SELECT station, type, count(*) FROM scans GROUP BY station, type",
       [&](const sql::Stmt& row) {
         StationCounts& c = out[row.ColumnText(0)];
         c.by_type[row.ColumnText(1)] = row.ColumnInt(2);
         c.scans += row.ColumnInt(2);
       }},
      {"SELECT station, count FROM duplicates_seen",
       [&](const sql::Stmt& row) { out[row.ColumnText(0)].duplicates_seen = row.ColumnInt(1); }},
      {"SELECT dest_station, count(*) FROM manifest GROUP BY dest_station",
       [&](const sql::Stmt& row) { out[row.ColumnText(0)].manifest_rows = row.ColumnInt(1); }},
      {"SELECT recipient, count(*), max(seq) FROM mailbox GROUP BY recipient",
       [&](const sql::Stmt& row) {
         StationCounts& c = out[row.ColumnText(0)];
         c.mail_held = row.ColumnInt(1);
         c.mail_latest_seq = row.ColumnInt(2);
       }},
  };
  for (const auto& [text, on_row] : queries) {
    auto stmt = sql::Stmt::Prepare(db_, text);
    if (!stmt.ok()) return stmt.status();
    if (Status s = stmt->ForEachRow(on_row); !s.ok()) return s;
  }
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
