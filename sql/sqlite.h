#pragma once
// A thin, non-throwing RAII layer over the SQLite C API. <sqlite3.h> stays
// out of this header, as SQLiteCpp keeps it out of its own.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace station::sql {

// How a connection is opened. The defaults are the durable ones of
// RELIABILITY.md §4: a commit that returned is on disk, even after power loss.
struct OpenOptions {
  bool read_only = false;
  bool create = true;
  // "FULL" syncs the WAL on every commit. "NORMAL" survives a process crash
  // but may lose the latest commits on power loss; only the power-loss test
  // uses it on the station database, to prove that the test can fail.
  // "OFF" never syncs: only for derived files rebuilt after an unclean stop
  // (the waybill index).
  std::string synchronous = "FULL";
  // A VFS registered by name (the power-loss test's shim); empty: default.
  std::string vfs;
};

class Db {
 public:
  // Opens `path` in WAL mode with the settings of RELIABILITY.md §4, reads
  // each back and fails (kIOError) when one did not take.
  static Result<Db> Open(const std::string& path, const OpenOptions& options = {});

  // Runs statements that return no rows (schema, PRAGMAs).
  Status Exec(const char* sql);
  // The single integer a PRAGMA or query returns.
  Result<std::int64_t> QueryInt(const char* sql);
  // The single text a PRAGMA or query returns.
  Result<std::string> QueryText(const char* sql);

  std::int64_t LastInsertRowId() const;
  int Changes() const;
  sqlite3* handle() const { return db_.get(); }
  // "what: <sqlite3_errmsg> (extended code N)"
  Status Error(std::string_view what) const;

  // True once any call on this connection failed with an I/O error, a full
  // disk, out of memory, a corrupt page or a file that cannot be opened
  // (Error() and Exec() note it). After such a failure SQLite's state of the
  // connection is not to be trusted: RELIABILITY.md §4 says close it, open
  // it again and re-read, never assuming the write persisted (Store does).
  bool faulted() const { return faulted_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  explicit Db(sqlite3* db) : db_(db) {}
  // Notes `rc` (a primary or extended result code) in faulted_.
  void NoteResult(int rc) const;
  std::unique_ptr<sqlite3, Close> db_;
  mutable bool faulted_ = false;
};

// A prepared statement, kept and reused. Bind errors are kept and returned
// by Step(), so binds can chain.
class Stmt {
 public:
  static Result<Stmt> Prepare(Db& db, const char* sql);

  Stmt& Bind(int index, std::int64_t value);
  Stmt& Bind(int index, std::string_view text);  // copied (SQLITE_TRANSIENT)
  Stmt& BindNull(int index);
  Stmt& BindOptional(int index, const std::optional<std::int64_t>& value);
  // Binds NULL for an empty string.
  Stmt& BindTextOrNull(int index, std::string_view text);
  // Without a copy (SQLITE_STATIC), NULL for an empty string: for hot
  // paths. REQUIRES: `text` stays valid and unchanged until Reset().
  Stmt& BindViewOrNull(int index, std::string_view text);

  // true: a row is ready; false: done.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();
  // Steps through every row, calling `row` on each, then resets (so no read
  // transaction stays open). The first step error is returned.
  Status ForEachRow(const std::function<void(const Stmt&)>& row);
  // Ready for reuse: resets and clears bindings.
  void Reset();

  std::int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  // The same without a copy, for loops over many rows. Valid until the next
  // step or reset of this statement.
  std::string_view ColumnView(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Db* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  Status bind_error_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed.
class Txn {
 public:
  static Result<Txn> Begin(Db& db);
  Txn(Txn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  // kIOError when the commit failed: then nothing of the transaction is stored.
  Status Commit();
  ~Txn();

 private:
  explicit Txn(Db& db) : db_(&db) {}
  Db* db_;
};

// BEGIN (deferred) ... for reads: several statements see one snapshot.
// Ended by Commit(), or by a rollback on destruction however the reading
// ends: a read transaction left open would pin the WAL (no checkpoint can
// pass it) and block later writes on this connection.
class ReadTxn {
 public:
  static Result<ReadTxn> Begin(Db& db);
  ReadTxn(ReadTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  Status Commit();
  ~ReadTxn();

 private:
  explicit ReadTxn(Db& db) : db_(&db) {}
  Db* db_;
};

}  // namespace station::sql
