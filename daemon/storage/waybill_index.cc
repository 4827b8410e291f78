#include "daemon/storage/waybill_index.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "sql/sqlite.h"

namespace station {
namespace {

const char* kIndexSchema = R"sql(
CREATE TABLE IF NOT EXISTS waybill_scans (
  waybill TEXT    NOT NULL,
  scan_id INTEGER NOT NULL,  -- scans.id in station.db
  PRIMARY KEY (waybill, scan_id)
) WITHOUT ROWID;
-- Every scan with id <= upto has its entry (or has no waybill).
-- db_id: station_meta.db_id of the station.db the index was built from.
CREATE TABLE IF NOT EXISTS indexed_upto (one INTEGER PRIMARY KEY CHECK (one = 1), upto INTEGER NOT NULL,
                                         db_id INTEGER NOT NULL);
INSERT OR IGNORE INTO indexed_upto VALUES (1, 0, 0);
)sql";

// An index belongs to one station.db: a restored or replaced database (its
// db_id differs, or its scans end below the mark) would make the index
// point at the wrong scans. Then it is emptied and rebuilt from scratch.
Status MatchStationDb(sql::Db& station, sql::Db& index) {
  auto db_id = station.QueryInt("SELECT db_id FROM station_meta");
  if (!db_id.ok()) return db_id.status();
  auto top = station.QueryInt("SELECT coalesce(max(id), 0) FROM scans");
  if (!top.ok()) return top.status();
  auto built_for = index.QueryInt("SELECT db_id FROM indexed_upto");
  if (!built_for.ok()) return built_for.status();
  auto upto = index.QueryInt("SELECT upto FROM indexed_upto");
  if (!upto.ok()) return upto.status();
  if (*built_for == *db_id && *upto <= *top) return Status::OK();
  if (*built_for != 0) spdlog::warn("waybill index belongs to another station.db; rebuilding it");
  auto txn = sql::Txn::Begin(index);
  if (!txn.ok()) return txn.status();
  if (Status s = index.Exec("DELETE FROM waybill_scans"); !s.ok()) return s;
  std::string reset = "UPDATE indexed_upto SET upto = 0, db_id = " + std::to_string(*db_id);
  if (Status s = index.Exec(reset.c_str()); !s.ok()) return s;
  return txn->Commit();
}

}  // namespace

std::string WaybillIndexPath(const std::string& data_dir) { return data_dir + "/waybills.db"; }

void DropWaybillIndex(const std::string& data_dir) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((WaybillIndexPath(data_dir) + suffix).c_str());
}

struct WaybillIndexer::Impl {
  sql::Db station;
  sql::Db index;
  std::unique_ptr<sql::Stmt> read_tail;
  std::unique_ptr<sql::Stmt> insert;
  std::unique_ptr<sql::Stmt> set_upto;
  std::int64_t upto = 0;
};

WaybillIndexer::WaybillIndexer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WaybillIndexer::~WaybillIndexer() = default;

Result<std::unique_ptr<WaybillIndexer>> WaybillIndexer::Open(const std::string& station_db,
                                                             const std::string& index_path) {
  // The station database is only read here (and checkpointed), so it is
  // opened without creating anything. The index is derived data: it is never
  // synced (no fsync competing with the acknowledgements' commits), and
  // stationd deletes it after an unclean stop so it is rebuilt from scratch.
  sql::OpenOptions station_options;
  station_options.create = false;
  auto station = sql::Db::Open(station_db, station_options);
  if (!station.ok()) return station.status();
  sql::OpenOptions index_options;
  index_options.synchronous = "OFF";
  auto index = sql::Db::Open(index_path, index_options);
  if (!index.ok()) return index.status();
  if (Status s = index->Exec(kIndexSchema); !s.ok()) return s;

  auto impl = std::make_unique<Impl>(Impl{std::move(*station), std::move(*index), nullptr, nullptr, nullptr, 0});
  if (Status s = MatchStationDb(impl->station, impl->index); !s.ok()) return s;
  auto upto = impl->index.QueryInt("SELECT upto FROM indexed_upto");
  if (!upto.ok()) return upto.status();
  impl->upto = *upto;
  struct {
    std::unique_ptr<sql::Stmt>* slot;
    sql::Db* db;
    const char* text;
  } statements[] = {
      {&impl->read_tail, &impl->station, "SELECT id, waybill FROM scans WHERE id > ?1 ORDER BY id LIMIT ?2"},
      {&impl->insert, &impl->index, "INSERT OR IGNORE INTO waybill_scans (waybill, scan_id) VALUES (?1, ?2)"},
      {&impl->set_upto, &impl->index, "UPDATE indexed_upto SET upto = ?1"},
  };
  for (auto& [slot, db, text] : statements) {
    auto stmt = sql::Stmt::Prepare(*db, text);
    if (!stmt.ok()) return stmt.status();
    *slot = std::make_unique<sql::Stmt>(std::move(*stmt));
  }
  return std::unique_ptr<WaybillIndexer>(new WaybillIndexer(std::move(impl)));
}

Result<std::int64_t> WaybillIndexer::IndexSome(std::int64_t max_scans) {
  Impl& m = *impl_;
  std::vector<std::pair<std::string, std::int64_t>> entries;
  std::int64_t last = m.upto;
  std::int64_t taken = 0;
  m.read_tail->Reset();
  m.read_tail->Bind(1, m.upto).Bind(2, max_scans);
  // ForEachRow resets at the end, which ends the read transaction so
  // checkpoints can pass it.
  Status read = m.read_tail->ForEachRow([&](const sql::Stmt& row) {
    last = row.ColumnInt(0);
    ++taken;
    if (!row.ColumnIsNull(1)) entries.emplace_back(row.ColumnText(1), last);
  });
  if (!read.ok()) return read;
  if (taken == 0) return std::int64_t{0};
  // In key order, consecutive inserts land on the same leaves.
  std::sort(entries.begin(), entries.end());
  auto txn = sql::Txn::Begin(m.index);
  if (!txn.ok()) return txn.status();
  for (const auto& [waybill, id] : entries) {
    m.insert->Reset();
    if (Status s = m.insert->Bind(1, waybill).Bind(2, id).Run(); !s.ok()) return s;
  }
  m.set_upto->Reset();
  if (Status s = m.set_upto->Bind(1, last).Run(); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  m.upto = last;
  return taken;
}

Status WaybillIndexer::MakeDurable() {
  if (Status s = impl_->index.Exec("PRAGMA synchronous=FULL"); !s.ok()) return s;
  return impl_->index.Exec("PRAGMA wal_checkpoint(TRUNCATE)");  // with FULL: the file is synced
}

Status WaybillIndexer::Checkpoint() { return impl_->station.Exec("PRAGMA wal_checkpoint(PASSIVE)"); }

IndexThread::IndexThread(std::unique_ptr<WaybillIndexer> indexer, std::chrono::milliseconds period)
    : indexer_(std::move(indexer)), period_(period), thread_([this] { Loop(); }) {}

IndexThread::~IndexThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (Status s = indexer_->MakeDurable(); !s.ok()) {
    spdlog::warn("waybill index not synced at stop: {}; it may be rebuilt", s.ToString());
  }
}

void IndexThread::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void IndexThread::Loop() {
  // Background work yields to acknowledgements: on a small machine the
  // ingest thread must not share its core evenly with the indexer. Linux
  // applies a nice value to the calling thread alone.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19) != 0) {
    spdlog::debug("could not lower the indexer's priority");
  }
  constexpr std::int64_t kChunk = 20000;
  Status last_error;
  auto last_checkpoint = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, period_, [this] { return woken_ || stop_; });
      if (stop_) return;
      woken_ = false;
    }
    // Drain what is there in chunks, so a backlog after a restart does not
    // hold one long transaction.
    for (;;) {
      auto n = indexer_->IndexSome(kChunk);
      if (!n.ok()) {
        // Logged once per distinct error; the index lags, readers still see
        // everything through the tail scan, and the next wake retries.
        if (n.status().message() != last_error.message()) {
          spdlog::warn("waybill index not updated: {}", n.status().ToString());
        }
        last_error = n.status();
        break;
      }
      last_error = Status::OK();
      if (*n < kChunk) break;
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    // Checkpoint here rather than inside an ingest COMMIT; twice a second
    // keeps the WAL short without competing with every commit's fsync.
    auto now = std::chrono::steady_clock::now();
    if (now - last_checkpoint >= std::chrono::milliseconds(500)) {
      last_checkpoint = now;
      if (Status s = indexer_->Checkpoint(); !s.ok()) spdlog::debug("checkpoint deferred: {}", s.ToString());
    }
  }
}

}  // namespace station
