#include "daemon/uplink/uplink_store.h"

#include <algorithm>

#include "core/hash.h"
#include "wire/upload.h"

namespace station {

Result<std::unique_ptr<UplinkStore>> UplinkStore::Open(const std::string& path, const std::string& vfs) {
  sql::OpenOptions options;
  options.create = false;
  options.synchronous = "NORMAL";
  options.vfs = vfs;
  auto store = Store::Open(path, options);
  if (!store.ok()) return store.status();
  std::unique_ptr<UplinkStore> uplink(new UplinkStore(std::move(*store)));
  if (Status s = uplink->Prepare(); !s.ok()) return s;
  return uplink;
}

Status UplinkStore::Prepare() {
  sql::Db& db = store_->db();
  struct {
    std::unique_ptr<sql::Stmt>& stmt;
    const char* sql;
  } statements[] = {
      {read_upload_,
       "SELECT s.id, b.device, b.batch, s.seq, b.courier, s.waybill, s.bag, s.type, s.scan_time, s.peer_station,"
       " s.weight_g, s.reason, s.note, s.received_ms FROM scans s JOIN batches b ON b.id = s.batch_id"
       " WHERE s.id > ?1 ORDER BY s.id LIMIT ?2"},
      {set_uploaded_, "UPDATE uplink_state SET uploaded_upto = ?1, last_upload_ms = ?2 WHERE uploaded_upto < ?1"},
      {insert_mail_,
       "INSERT INTO inbox (seq, from_station, msg_id, kind, body, posted_ms, received_ms)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"},
      {set_sync_cursors_,
       "UPDATE uplink_state SET manifest_seq = max(manifest_seq, ?1), mail_seq = max(mail_seq, ?2)"},
      {mark_lookup_sent_, "UPDATE national_lookups SET sent_ms = ?2 WHERE waybill = ?1"},
      {mark_lookup_answered_, "UPDATE national_lookups SET answered_ms = ?2, found = ?3 WHERE waybill = ?1"},
  };
  for (auto& s : statements) {
    auto stmt = sql::Stmt::Prepare(db, s.sql);
    if (!stmt.ok()) return stmt.status();
    s.stmt = std::make_unique<sql::Stmt>(std::move(*stmt));
  }
  prepared_for_ = store_->generation();
  return Status::OK();
}

Status UplinkStore::Ready() {
  if (Status s = store_->ReopenIfFaulted(); !s.ok()) return s;
  if (prepared_for_ == store_->generation()) return Status::OK();
  return Prepare();
}

Result<UplinkCursors> UplinkStore::Load() {
  auto stmt = sql::Stmt::Prepare(store_->db(),
                                 "SELECT uploaded_upto, coalesce(last_upload_ms, 0), manifest_seq, mail_seq"
                                 " FROM uplink_state");
  if (!stmt.ok()) return stmt.status();
  UplinkCursors cursors;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    cursors.uploaded_upto = row.ColumnInt(0);
    cursors.last_upload_ms = row.ColumnInt(1);
    cursors.manifest_seq = row.ColumnInt(2);
    cursors.mail_seq = row.ColumnInt(3);
  });
  if (!s.ok()) return s;
  return cursors;
}

Result<std::int64_t> UplinkStore::MaxScanId() { return store_->db().QueryInt("SELECT coalesce(max(id), 0) FROM scans"); }

Result<std::optional<std::int64_t>> UplinkStore::OldestWaitingReceivedMs(std::int64_t uploaded_upto) {
  auto stmt = sql::Stmt::Prepare(store_->db(), "SELECT received_ms FROM scans WHERE id > ?1 ORDER BY id LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, uploaded_upto);
  std::optional<std::int64_t> oldest;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) { oldest = row.ColumnInt(0); });
  if (!s.ok()) return s;
  return oldest;
}

Status UplinkStore::ReadUpload(std::int64_t after, int limit, std::string& body, int& count, std::int64_t& last_id) {
  count = 0;
  last_id = after;
  if (Status s = Ready(); !s.ok()) return s;
  sql::Stmt& read = *read_upload_;
  read.Reset();
  read.Bind(1, after).Bind(2, std::int64_t{limit});
  UploadedScan scan;
  return read.ForEachRow([&](const sql::Stmt& row) {
    scan.id = row.ColumnInt(0);
    scan.device = row.ColumnText(1);
    scan.batch = row.ColumnText(2);
    scan.seq = row.ColumnInt(3);
    scan.courier = row.ColumnText(4);
    scan.waybill = row.ColumnText(5);
    scan.bag = row.ColumnText(6);
    scan.type = row.ColumnText(7);
    scan.time = row.ColumnText(8);
    scan.peer_station = row.ColumnText(9);
    scan.weight_g = row.ColumnIsNull(10) ? std::nullopt : std::optional<std::int64_t>(row.ColumnInt(10));
    scan.reason = row.ColumnText(11);
    scan.note = row.ColumnText(12);
    scan.received_ms = row.ColumnInt(13);
    AppendUploadRow(body, scan);
    ++count;
    last_id = scan.id;
  });
}

Status UplinkStore::SetUploadedUpto(std::int64_t upto, std::int64_t now_ms) {
  if (Status s = Ready(); !s.ok()) return s;
  auto txn = sql::Txn::Begin(store_->db());
  if (!txn.ok()) return txn.status();
  set_uploaded_->Reset();
  if (Status s = set_uploaded_->Bind(1, upto).Bind(2, now_ms).Run(); !s.ok()) return s;
  return txn->Commit();
}

Result<int> UplinkStore::SetAside(std::int64_t after, std::int64_t last_id, const std::string& reason,
                                  std::int64_t now_ms) {
  if (Status s = Ready(); !s.ok()) return s;
  std::string body = std::string(kUploadColumns) + "\n";
  int count = 0;
  std::int64_t read_upto = after;
  const int most = static_cast<int>(std::min<std::int64_t>(last_id - after, 1'000'000));
  if (Status s = ReadUpload(after, most, body, count, read_upto); !s.ok()) return s;
  auto scans = ReadUploadBody(body);
  if (!scans.ok()) return scans.status();
  auto txn = sql::Txn::Begin(store_->db());
  if (!txn.ok()) return txn.status();
  auto insert = sql::Stmt::Prepare(
      store_->db(),
      "INSERT INTO quarantine (kind, device, courier, batch, seq, raw, reason, received_ms, fingerprint)"
      " VALUES ('national', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (fingerprint) DO NOTHING");
  if (!insert.ok()) return insert.status();
  int set_aside = 0;
  for (const UploadedScan& scan : *scans) {
    if (scan.id > last_id) break;
    std::string raw;  // the scan's row as it was uploaded
    AppendUploadRow(raw, scan);
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.pop_back();
    Fingerprint fp;  // one row a scan, whatever national said
    fp.Add("national").Add(scan.id).Add(scan.device).Add(scan.batch).Add(scan.seq);
    insert->Reset();
    insert->Bind(1, scan.device).Bind(2, scan.courier).Bind(3, scan.batch).Bind(4, scan.seq).Bind(5, raw);
    insert->Bind(6, reason).Bind(7, now_ms).Bind(8, fp.signed_value());
    if (Status s = insert->Run(); !s.ok()) return s;
    // Set aside before a restart: quarantined once, counted once.
    if (store_->db().Changes() == 1) ++set_aside;
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return set_aside;
}

Status UplinkStore::CountSetAside(std::int64_t& count, std::string& latest_reason) {
  auto stmt = sql::Stmt::Prepare(store_->db(),
                                 "SELECT count(*), coalesce((SELECT reason FROM quarantine WHERE kind = 'national'"
                                 " ORDER BY id DESC LIMIT 1), '') FROM quarantine WHERE kind = 'national'");
  if (!stmt.ok()) return stmt.status();
  return stmt->ForEachRow([&](const sql::Stmt& row) {
    count = row.ColumnInt(0);
    latest_reason = row.ColumnText(1);
  });
}

Result<UplinkStore::Applied> UplinkStore::ApplySync(const Manifest& manifest, std::int64_t manifest_to,
                                                    const std::vector<MailItem>& mail, std::int64_t now_ms) {
  if (Status s = Ready(); !s.ok()) return s;
  Applied applied;
  std::int64_t mail_seq = 0;
  auto also = [&]() -> Status {
    for (const MailItem& m : mail) {
      sql::Stmt& ins = *insert_mail_;
      ins.Reset();
      ins.Bind(1, m.seq).Bind(2, m.from).Bind(3, m.msg_id).Bind(4, m.kind).Bind(5, m.body).Bind(6, m.posted_ms);
      if (Status s = ins.Bind(7, now_ms).Run(); !s.ok()) return s;
      if (store_->db().Changes() == 1) ++applied.mail_new;
      mail_seq = std::max(mail_seq, m.seq);
    }
    set_sync_cursors_->Reset();
    return set_sync_cursors_->Bind(1, manifest_to).Bind(2, mail_seq).Run();
  };
  auto saved = store_->SaveManifest(manifest, "national", now_ms, also);
  if (!saved.ok()) return saved.status();
  applied.manifest = std::move(*saved);
  return applied;
}

Result<std::int64_t> UplinkStore::LatestReconcileRun() {
  return store_->db().QueryInt("SELECT coalesce(max(id), 0) FROM reconcile_runs");
}

Status UplinkStore::QueueLookups(std::int64_t now_ms, std::int64_t ask_again_before_ms) {
  sql::Db& db = store_->db();
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  // Run once per reconciliation run, not per heartbeat: prepared here.
  auto again = sql::Stmt::Prepare(db,
                                  "UPDATE national_lookups SET queued_ms = ?1, answered_ms = NULL, found = NULL"
                                  " WHERE found = 0 AND answered_ms < ?2 AND waybill IN (SELECT waybill FROM"
                                  " discrepancies WHERE kind = 'surplus' AND state IN ('open', 'notified'))");
  if (!again.ok()) return again.status();
  if (Status s = again->Bind(1, now_ms).Bind(2, ask_again_before_ms).Run(); !s.ok()) return s;
  auto fresh = sql::Stmt::Prepare(db,
                                  "INSERT INTO national_lookups (waybill, queued_ms) SELECT waybill, ?1"
                                  " FROM discrepancies WHERE kind = 'surplus' AND state IN ('open', 'notified')"
                                  " AND waybill != '' ON CONFLICT DO NOTHING");
  if (!fresh.ok()) return fresh.status();
  if (Status s = fresh->Bind(1, now_ms).Run(); !s.ok()) return s;
  return txn->Commit();
}

Result<std::vector<std::string>> UplinkStore::WaitingLookups(int limit) {
  auto stmt = sql::Stmt::Prepare(store_->db(),
                                 "SELECT waybill FROM national_lookups WHERE answered_ms IS NULL"
                                 " ORDER BY queued_ms LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, std::int64_t{limit});
  std::vector<std::string> waybills;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) { waybills.push_back(row.ColumnText(0)); });
  if (!s.ok()) return s;
  return waybills;
}

Status UplinkStore::MarkLookupsSent(const std::vector<std::string>& waybills, std::int64_t now_ms) {
  if (Status s = Ready(); !s.ok()) return s;
  auto txn = sql::Txn::Begin(store_->db());
  if (!txn.ok()) return txn.status();
  for (const std::string& waybill : waybills) {
    mark_lookup_sent_->Reset();
    if (Status s = mark_lookup_sent_->Bind(1, waybill).Bind(2, now_ms).Run(); !s.ok()) return s;
  }
  return txn->Commit();
}

Result<ManifestImport> UplinkStore::ApplyLookup(const Manifest& rows, const std::vector<std::string>& found,
                                                const std::vector<std::string>& not_found, std::int64_t now_ms) {
  if (Status s = Ready(); !s.ok()) return s;
  auto mark = [&]() -> Status {
    for (const auto& [waybills, was_found] : {std::pair{&found, 1}, std::pair{&not_found, 0}}) {
      for (const std::string& waybill : *waybills) {
        mark_lookup_answered_->Reset();
        mark_lookup_answered_->Bind(1, waybill).Bind(2, now_ms).Bind(3, std::int64_t{was_found});
        if (Status s = mark_lookup_answered_->Run(); !s.ok()) return s;
      }
    }
    return Status::OK();
  };
  return store_->SaveManifest(rows, "national-lookup", now_ms, mark);
}

Result<LookupCounts> CountLookups(sql::Db& db) {
  auto stmt = sql::Stmt::Prepare(db,
                                 "SELECT coalesce(sum(answered_ms IS NULL), 0), coalesce(sum(found = 1), 0),"
                                 " coalesce(sum(found = 0), 0) FROM national_lookups");
  if (!stmt.ok()) return stmt.status();
  LookupCounts counts;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    counts.waiting = row.ColumnInt(0);
    counts.found = row.ColumnInt(1);
    counts.not_found = row.ColumnInt(2);
  });
  if (!s.ok()) return s;
  return counts;
}

Result<std::vector<WaitingPost>> UplinkStore::WaitingPosts(int limit) {
  auto stmt = sql::Stmt::Prepare(store_->db(),
                                 "SELECT msg_id, to_station, kind, body FROM outbox WHERE posted_ms IS NULL"
                                 " AND refused IS NULL ORDER BY id LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, std::int64_t{limit});
  std::vector<WaitingPost> posts;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    posts.push_back({row.ColumnText(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3)});
  });
  if (!s.ok()) return s;
  return posts;
}

Status UplinkStore::MarkRefused(const std::string& msg_id, const std::string& reason) {
  auto stmt = sql::Stmt::Prepare(store_->db(),
                                 "UPDATE outbox SET refused = ?2 WHERE msg_id = ?1 AND posted_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, msg_id).Bind(2, reason).Run();
}

Status UplinkStore::MarkPosted(const std::string& msg_id, std::int64_t now_ms) {
  auto stmt = sql::Stmt::Prepare(store_->db(), "UPDATE outbox SET posted_ms = ?2 WHERE msg_id = ?1 AND posted_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, msg_id).Bind(2, now_ms).Run();
}

}  // namespace station
