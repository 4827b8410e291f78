#pragma once
// The waybill index, kept off the acknowledgement path.
//
// Waybill numbers arrive in random order, so an index on scans(waybill)
// inside the ingest transaction dirties one B-tree leaf a scan: a group of
// 2,000 scans wrote ~1,600 pages to the WAL and its fsync set the docks'
// ack latency (docs/performance.md). The index is derived data, so it lives
// in its own file, waybills.db, filled by a background thread from the
// scans committed since its high-water mark. Readers look up the index and
// scan the short unindexed tail of the scans table, so nothing committed is
// ever missed. The same thread runs the station database's WAL checkpoints,
// also kept out of the ingest commits.

#include <chrono>
#include <memory>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace station {

std::string WaybillIndexPath(const std::string& data_dir);

// Deletes the index files: it is never synced, so after a crash or power
// loss it is rebuilt rather than trusted. REQUIRES: no indexer running.
void DropWaybillIndex(const std::string& data_dir);

// Indexes scans committed since the last call, up to `max_scans`, in one
// transaction on `index_path`. Returns how many scans it took.
// REQUIRES: no other writer of `index_path`.
class WaybillIndexer {
 public:
  static Result<std::unique_ptr<WaybillIndexer>> Open(const std::string& station_db, const std::string& index_path);
  ~WaybillIndexer();

  Result<std::int64_t> IndexSome(std::int64_t max_scans);
  // PRAGMA wal_checkpoint(PASSIVE) on the station database: copies what it
  // can without waiting for readers or blocking the writer.
  Status Checkpoint();
  // Syncs the index to disk (it is written unsynced); for a clean stop.
  Status MakeDurable();

 private:
  struct Impl;
  explicit WaybillIndexer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a WaybillIndexer in its own thread until destroyed: indexes whenever
// woken (after each ingest commit) or every `period`, and checkpoints.
class IndexThread {
 public:
  IndexThread(std::unique_ptr<WaybillIndexer> indexer, std::chrono::milliseconds period);
  ~IndexThread();  // stops, joins, and makes the index durable
  // Cheap; call after a commit. Never blocks on the indexer's work.
  void Wake();

 private:
  void Loop();
  std::unique_ptr<WaybillIndexer> indexer_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace station
