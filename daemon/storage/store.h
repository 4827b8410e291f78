#pragma once
// The station's scan store. The ingest thread's Store writes scans; the
// uplink opens a second one on the same file for what national sends
// (manifest rows, mail) and its cursors: both begin IMMEDIATE, so they take
// turns at the write lock rather than fail (RELIABILITY.md §4).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sql/sqlite.h"
#include "scanner/batch_file.h"
#include "scanner/manifest.h"
#include "core/status.h"
#include "wire/control_status.h"
#include "wire/dock.h"

namespace station {

// The bytes of a message's CSV frame and whatever keeps them alive: on the
// dock path the socket's own message, moved here without a copy. The bytes
// never move while any copy of this lives, so a Batch's rows may point into
// them however the items holding it are moved.
class HeldBytes {
 public:
  HeldBytes() = default;
  // Keeps `owner` (moved once, to the heap) and the bytes `view_of` finds in it.
  template <typename Owner, typename ViewOf>
  static HeldBytes Take(Owner&& owner, ViewOf view_of) {
    auto held = std::make_shared<std::decay_t<Owner>>(std::forward<Owner>(owner));
    const std::string_view bytes = view_of(*held);
    return HeldBytes(std::move(held), bytes);
  }
  // A copy of `text` (tests, benchmarks, tools).
  static HeldBytes Copy(std::string_view text) {
    auto held = std::make_shared<const std::string>(text);
    const std::string_view bytes = *held;
    return HeldBytes(std::move(held), bytes);
  }
  std::string_view view() const { return view_; }

 private:
  HeldBytes(std::shared_ptr<const void> owner, std::string_view view) : owner_(std::move(owner)), view_(view) {}
  std::shared_ptr<const void> owner_;
  std::string_view view_;
};

// One batch message's worth of input on its way into the store.
struct IngestItem {
  std::string req;
  // OK: `batch` was read and its rows are to be stored. Otherwise the
  // message is refused whole; the refusal is quarantined (kind 'batch')
  // with `refused_raw` as its raw text when that is set: the ingest server
  // sets it, to the body's first line, when the body was read
  // (docs/protocol.md, "Refusals and quarantine").
  Status refusal;
  Batch batch;  // its rows point into `body`
  std::optional<std::string> refused_raw;
  // The message's CSV frame, kept while `batch` is in use.
  HeldBytes body;
  BatchAck ack;  // filled by Store::Save
  // Scans of this message newly stored with a clock flag (scanner/scan.h
  // ClockFlagOf), filled by Store::Save, which after its commit logs one
  // warning a batch (device, batch) that has any.
  int clock_future = 0;
  int clock_past = 0;
};

class Store {
 public:
  // Opens (creating if need be) and migrates the database at `path`.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const sql::OpenOptions& options = {});

  // Stores every item in one transaction: good rows into scans (a row whose
  // (device, batch, seq) is already stored is a duplicate when identical and
  // a conflict, quarantined, when not), bad rows and refusals into
  // quarantine, one docks row a batch. Fills each item's ack.
  // Returns kIOError when the transaction could not be committed: then
  // nothing was stored and no ack may be sent.
  Status Save(std::vector<IngestItem>& items, std::int64_t received_ms);

  // Stores manifest rows (newest wins per waybill) and quarantines its bad
  // rows, all in one transaction. `source` says where they came from
  // ("file:manifest-1124.csv", "national"). `also`, when given, runs in the
  // same transaction before its commit (the uplink moves its cursor there).
  // kIOError: nothing was stored.
  Result<ManifestImport> SaveManifest(const Manifest& manifest, const std::string& source, std::int64_t received_ms,
                                      const std::function<Status()>& also = {});

  // The connection. Save() may replace it after a storage fault (see
  // Reopen), so callers take it afresh for each use and keep no statement
  // prepared on it across calls.
  sql::Db& db() { return db_; }

  // After a storage fault (sql::Db::faulted), RELIABILITY.md §4: closes the
  // connection and opens it again, re-reading everything from the file;
  // OK at once when there was none. Save() does this by itself before
  // storing anything new. On failure (the fault persists) the old
  // connection stays and the next call tries again, so the daemon resumes
  // by itself once the fault clears.
  Status ReopenIfFaulted();

  // Counts the connections replaced by a reopen. Whoever keeps statements
  // prepared on db() (UplinkStore) prepares them again when it changes:
  // statements of the old connection fail (SQLITE_MISUSE) once it closed.
  std::uint64_t generation() const { return generation_; }

 private:
  Store(sql::Db db, std::string path, sql::OpenOptions options)
      : db_(std::move(db)), path_(std::move(path)), options_(std::move(options)) {}
  // The connection with the store's settings (not migrated).
  static Result<sql::Db> OpenConnection(const std::string& path, const sql::OpenOptions& options);
  Status Reopen();
  Status Prepare();
  Status SaveOne(IngestItem& item, std::int64_t received_ms);
  Status SaveRows(IngestItem& item, std::int64_t batch_id, std::int64_t received_ms);
  Status Quarantine(const char* kind, const BatchOrigin& origin, int line, std::int64_t seq,
                    std::string_view raw, const std::string& reason, std::int64_t received_ms);

  sql::Db db_;
  std::string path_;
  sql::OpenOptions options_;
  bool prepared_ = false;  // false after a failed Reopen: the statements are gone
  std::uint64_t generation_ = 0;  // ++ each time db_ is replaced
  std::unique_ptr<sql::Stmt> insert_batch_;
  std::unique_ptr<sql::Stmt> batch_id_;
  std::unique_ptr<sql::Stmt> insert_scan_;
  std::unique_ptr<sql::Stmt> stored_scan_;
  std::unique_ptr<sql::Stmt> insert_quarantine_;
  std::unique_ptr<sql::Stmt> insert_dock_;
  std::unique_ptr<sql::Stmt> find_manifest_;
  std::unique_ptr<sql::Stmt> upsert_manifest_;
};

}  // namespace station
