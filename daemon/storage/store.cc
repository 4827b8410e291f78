#include "daemon/storage/store.h"

#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "daemon/storage/schema.h"
#include "core/hash.h"

namespace station {

Result<sql::Db> Store::OpenConnection(const std::string& path, const sql::OpenOptions& options) {
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  // The writer's page cache: 64 MiB instead of SQLite's 2 MiB. Waybills are
  // random, so every scan lands on its own leaf of scans_by_waybill; a group
  // commit of thousands of scans overflowed 2 MiB, spilled dirty pages to
  // the WAL mid-transaction and read index pages back from the OS
  // (docs/performance.md). Memory only: durability is unchanged.
  if (Status s = db->Exec("PRAGMA cache_size=-65536"); !s.ok()) return s;
  // Checkpoints run in the background (waybill_index.h), off the ack path;
  // this is only the safety valve should that thread fall behind.
  if (Status s = db->Exec("PRAGMA wal_autocheckpoint=8192"); !s.ok()) return s;
  return db;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const sql::OpenOptions& options) {
  auto db = OpenConnection(path, options);
  if (!db.ok()) return db.status();
  if (Status s = MigrateSchema(*db); !s.ok()) return s;
  std::unique_ptr<Store> store(new Store(std::move(*db), path, options));
  if (Status s = store->Prepare(); !s.ok()) return s;
  return store;
}

Status Store::Reopen() {
  // The new connection first: while the fault lasts, opening fails and the
  // old one stays, so db() never hands out a closed handle.
  auto fresh = OpenConnection(path_, options_);
  if (!fresh.ok()) return fresh.status();
  // Statements belong to the old connection: finalized before it closes.
  prepared_ = false;
  for (auto* stmt : {&insert_batch_, &batch_id_, &insert_scan_, &stored_scan_, &insert_quarantine_, &insert_dock_,
                     &find_manifest_, &upsert_manifest_}) {
    stmt->reset();
  }
  db_ = std::move(*fresh);
  ++generation_;
  return Prepare();
}

Status Store::ReopenIfFaulted() {
  if (prepared_ && !db_.faulted()) return Status::OK();
  if (Status s = Reopen(); !s.ok()) {
    return Status::IOError("reopen the station database after a storage error", s.message());
  }
  spdlog::warn("station database reopened after a storage error; storing again");
  return Status::OK();
}

Status Store::Prepare() {
  struct {
    std::unique_ptr<sql::Stmt>* slot;
    const char* sql;
  } statements[] = {
      {&insert_batch_,
       "INSERT INTO batches (device, batch, courier, station, received_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
       " ON CONFLICT (device, batch) DO NOTHING"},
      {&batch_id_, "SELECT id, courier FROM batches WHERE device = ?1 AND batch = ?2"},
      {&insert_scan_,
       "INSERT INTO scans (batch_id, seq, waybill, bag, type, scan_time, scan_time_ms, received_ms, peer_station,"
       " weight_g, reason, note, line, clock_flag)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
       " ON CONFLICT (batch_id, seq) DO NOTHING"},
      {&stored_scan_,
       "SELECT waybill, bag, type, scan_time, peer_station, weight_g, reason, note FROM scans"
       " WHERE batch_id = ?1 AND seq = ?2"},
      {&insert_quarantine_,
       "INSERT INTO quarantine (kind, device, courier, batch, line, seq, raw, reason, received_ms, fingerprint)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (fingerprint) DO NOTHING"},
      {&find_manifest_,
       "SELECT origin_station, dest_station, dispatched_at, bag, declared_weight_g, recipient_phone,"
       " recipient_district FROM manifest WHERE waybill = ?1"},
      {&upsert_manifest_,
       "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag,"
       " declared_weight_g, recipient_phone, recipient_district, source, received_ms)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
       " ON CONFLICT (waybill) DO UPDATE SET origin_station = ?2, dest_station = ?3, dispatched_at = ?4,"
       " dispatched_ms = ?5, bag = ?6, declared_weight_g = ?7, recipient_phone = ?8, recipient_district = ?9,"
       " source = ?10, received_ms = ?11"},
      {&insert_dock_,
       "INSERT INTO docks (device, courier, batch, received_ms, accepted, duplicates, rejected, conflicts)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
  };
  for (auto& [slot, text] : statements) {
    auto stmt = sql::Stmt::Prepare(db_, text);
    if (!stmt.ok()) return stmt.status();
    *slot = std::make_unique<sql::Stmt>(std::move(*stmt));
  }
  prepared_ = true;
  return Status::OK();
}

Status Store::Quarantine(const char* kind, const BatchOrigin& origin, int line, std::int64_t seq,
                         std::string_view raw, const std::string& reason, std::int64_t received_ms) {
  Fingerprint fp;
  fp.Add(kind).Add(origin.device).Add(origin.batch).Add(std::int64_t{line}).Add(raw).Add(reason);
  sql::Stmt& q = *insert_quarantine_;
  q.Reset();
  q.Bind(1, kind).BindTextOrNull(2, origin.device).BindTextOrNull(3, origin.courier).BindTextOrNull(4, origin.batch);
  if (line > 0) q.Bind(5, std::int64_t{line});
  if (seq > 0) q.Bind(6, seq);
  q.Bind(7, raw).Bind(8, reason).Bind(9, received_ms).Bind(10, fp.signed_value());
  return q.Run();
}

namespace {

// True when the stored row `stored` (the columns of stored_scan_) says what
// `scan` says.
bool SameScan(const sql::Stmt& stored, const Scan& scan) {
  const bool same_weight = stored.ColumnIsNull(5) ? !scan.weight_g.has_value()
                                                  : scan.weight_g.has_value() && *scan.weight_g == stored.ColumnInt(5);
  return same_weight && stored.ColumnText(0) == scan.waybill && stored.ColumnText(1) == scan.bag &&
         stored.ColumnText(2) == ScanTypeKey(scan.type) && stored.ColumnText(3) == scan.time &&
         stored.ColumnText(4) == scan.peer_station &&
         stored.ColumnText(6) == (scan.reason ? ProblemReasonKey(*scan.reason) : "") &&
         stored.ColumnText(7) == scan.note;
}

}  // namespace

// The batch's rows: each good row stored once (a resend of the same
// content is a duplicate, different content under a taken key a conflict,
// quarantined), each bad row quarantined with its reason.
Status Store::SaveRows(IngestItem& item, std::int64_t batch_id, std::int64_t received_ms) {
  BatchAck& ack = item.ack;
  const BatchOrigin& origin = item.batch.origin;
  for (const GoodRow& row : item.batch.rows) {
    const Scan& scan = row.scan;
    sql::Stmt& ins = *insert_scan_;
    ins.Reset();
    // The hot path: text is bound without a copy; `row` outlives the step.
    ins.Bind(1, batch_id).Bind(2, scan.seq).BindViewOrNull(3, scan.waybill).BindViewOrNull(4, scan.bag);
    ins.BindViewOrNull(5, ScanTypeKey(scan.type)).BindViewOrNull(6, scan.time).Bind(7, scan.time_ms);
    ins.Bind(8, received_ms).BindViewOrNull(9, scan.peer_station).BindOptional(10, scan.weight_g);
    if (scan.reason) ins.BindViewOrNull(11, ProblemReasonKey(*scan.reason));
    ins.BindViewOrNull(12, scan.note).Bind(13, std::int64_t{row.line});
    // Decided here, at bind time, against the station's clock: free, and
    // what the clerk sees is what was known when the scan came in.
    const ClockFlag clock = ClockFlagOf(scan.time_ms, received_ms);
    ins.BindViewOrNull(14, ClockFlagKey(clock));
    if (Status s = ins.Run(); !s.ok()) return s;
    if (db_.Changes() == 1) {
      ++ack.accepted;
      if (clock == ClockFlag::kFuture) ++item.clock_future;
      if (clock == ClockFlag::kPast) ++item.clock_past;
      continue;
    }
    // The key is taken: a resend (same content) or a conflicting reuse.
    // Compared column by column, exactly: this decides whether a gun's scan
    // is acknowledged as stored, so no hash shortcut.
    sql::Stmt& get = *stored_scan_;
    get.Reset();
    get.Bind(1, batch_id).Bind(2, scan.seq);
    auto found = get.Step();
    if (!found.ok()) return found.status();
    const bool same = *found && SameScan(get, scan);
    get.Reset();  // see find_batch above
    if (same) {
      ++ack.duplicates;
      continue;
    }
    std::string reason = "conflict: seq " + std::to_string(scan.seq) +
                         " of this batch is already stored with different content; the stored scan is kept";
    if (Status s = Quarantine("conflict", origin, row.line, scan.seq, row.raw, reason, received_ms); !s.ok()) return s;
    ack.conflicts.push_back({row.line, scan.seq, reason});
  }
  for (const RowProblem& problem : item.batch.problems) {
    if (Status s = Quarantine("invalid", origin, problem.line, problem.seq, problem.raw, problem.reason, received_ms);
        !s.ok()) {
      return s;
    }
    ack.rejected.push_back({problem.line, problem.seq, problem.reason});
  }
  return Status::OK();
}

Status Store::SaveOne(IngestItem& item, std::int64_t received_ms) {
  BatchAck& ack = item.ack;
  ack = BatchAck{};
  ack.req = item.req;
  item.clock_future = item.clock_past = 0;
  if (!item.refusal.ok()) {
    ack = ErrorAck(item.req, item.refusal);
    if (!item.refused_raw) return Status::OK();
    return Quarantine("batch", item.batch.origin, 0, 0, *item.refused_raw, item.refusal.message(), received_ms);
  }

  const BatchOrigin& origin = item.batch.origin;
  ack.device = origin.device;
  ack.batch = origin.batch;
  sql::Stmt& add_batch = *insert_batch_;
  add_batch.Reset();
  add_batch.Bind(1, origin.device).Bind(2, origin.batch).Bind(3, origin.courier).Bind(4, origin.station);
  if (Status s = add_batch.Bind(5, received_ms).Run(); !s.ok()) return s;
  sql::Stmt& find_batch = *batch_id_;
  find_batch.Reset();
  find_batch.Bind(1, origin.device).Bind(2, origin.batch);
  auto found_batch = find_batch.Step();
  if (!found_batch.ok()) return found_batch.status();
  if (!*found_batch) return Status::IOError("batch row vanished", origin.device + "/" + origin.batch);
  const std::int64_t batch_id = find_batch.ColumnInt(0);
  const std::string first_courier = find_batch.ColumnText(1);
  // A SELECT left on a row keeps a read transaction open past COMMIT,
  // pinning the WAL so no checkpoint can ever finish: reset at once.
  find_batch.Reset();
  if (first_courier != origin.courier) {
    // The same gun batch docked under another courier: not a resend. Keep
    // what was stored, refuse this, and show the clerk.
    Status conflict = Status::Conflict("batch " + origin.batch + " of device " + origin.device,
                                       "was docked by courier " + first_courier + "; this one says " + origin.courier);
    ack = ErrorAck(item.req, conflict);
    const std::string comment = "# device=" + origin.device + " courier=" + origin.courier +
                                " station=" + origin.station + " batch=" + origin.batch;
    return Quarantine("batch", origin, 0, 0, comment, conflict.message(), received_ms);
  }

  if (Status s = SaveRows(item, batch_id, received_ms); !s.ok()) return s;
  sql::Stmt& dock = *insert_dock_;
  dock.Reset();
  dock.Bind(1, origin.device).Bind(2, origin.courier).Bind(3, origin.batch).Bind(4, received_ms);
  dock.Bind(5, std::int64_t{ack.accepted}).Bind(6, std::int64_t{ack.duplicates});
  dock.Bind(7, static_cast<std::int64_t>(ack.rejected.size())).Bind(8, static_cast<std::int64_t>(ack.conflicts.size()));
  return dock.Run();
}

Status Store::Save(std::vector<IngestItem>& items, std::int64_t received_ms) {
  // A storage fault earlier (here or in a clerk's command on this
  // connection): nothing is stored on the old connection's word.
  if (Status s = ReopenIfFaulted(); !s.ok()) return s;
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (IngestItem& item : items) {
    if (Status s = SaveOne(item, received_ms); !s.ok()) return s;  // ~Txn rolls back
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  // One warning a batch: the parts of one file stored together count once.
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> flagged;
  for (const IngestItem& item : items) {
    if (item.clock_future == 0 && item.clock_past == 0) continue;
    auto& counts = flagged[{item.batch.origin.device, item.batch.origin.batch}];
    counts.first += item.clock_future;
    counts.second += item.clock_past;
  }
  for (const auto& [batch, counts] : flagged) {
    spdlog::warn("scans with a gun clock off, stored and flagged: device={} batch={} future={} past={}",
                 LogText(batch.first), LogText(batch.second), counts.first, counts.second);
  }
  return Status::OK();
}

Result<ManifestImport> Store::SaveManifest(const Manifest& manifest, const std::string& source,
                                           std::int64_t received_ms, const std::function<Status()>& also) {
  if (Status s = ReopenIfFaulted(); !s.ok()) return s;
  ManifestImport result;
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (const ManifestRow& row : manifest.rows) {
    sql::Stmt& find = *find_manifest_;
    find.Reset();
    find.Bind(1, row.waybill);
    auto found = find.Step();
    if (!found.ok()) return found.status();
    bool same = false;
    if (*found) {
      const bool same_weight = find.ColumnIsNull(4) ? !row.declared_weight_g.has_value()
                                                    : row.declared_weight_g == find.ColumnInt(4);
      same = find.ColumnText(0) == row.origin_station && find.ColumnText(1) == row.dest_station &&
             find.ColumnText(2) == row.dispatched_at && find.ColumnText(3) == row.bag && same_weight &&
             find.ColumnText(5) == row.recipient_phone && find.ColumnText(6) == row.recipient_district;
    }
    const bool existed = *found;
    find.Reset();  // no read left open past COMMIT
    if (same) {
      ++result.unchanged;
      continue;
    }
    sql::Stmt& up = *upsert_manifest_;
    up.Reset();
    up.Bind(1, row.waybill).Bind(2, row.origin_station).Bind(3, row.dest_station).Bind(4, row.dispatched_at);
    up.Bind(5, row.dispatched_ms).BindTextOrNull(6, row.bag).BindOptional(7, row.declared_weight_g);
    up.BindTextOrNull(8, row.recipient_phone).BindTextOrNull(9, row.recipient_district).Bind(10, source);
    if (Status s = up.Bind(11, received_ms).Run(); !s.ok()) return s;
    ++(existed ? result.updated : result.stored);
  }
  BatchOrigin from;
  from.batch = source;
  for (const ManifestProblem& problem : manifest.problems) {
    if (Status s = Quarantine("manifest", from, problem.line, 0, problem.raw, problem.reason, received_ms); !s.ok()) {
      return s;
    }
    result.rejected.push_back(problem);
  }
  if (also) {
    if (Status s = also(); !s.ok()) return s;
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return result;
}

}  // namespace station
