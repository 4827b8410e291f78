#include "sql/sqlite.h"

#include <sqlite3.h>

namespace station::sql {

void Db::Close::operator()(sqlite3* db) const {
  // Statements are finalized before the Db goes away; v2 defers the close
  // if one is still alive rather than failing.
  sqlite3_close_v2(db);
}

void Db::NoteResult(int rc) const {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_CORRUPT:
    case SQLITE_CANTOPEN:
      faulted_ = true;
      break;
    default:
      break;
  }
}

Status Db::Error(std::string_view what) const {
  NoteResult(sqlite3_extended_errcode(db_.get()));
  return Status::IOError(what, std::string(sqlite3_errmsg(db_.get())) + " (extended code " +
                                   std::to_string(sqlite3_extended_errcode(db_.get())) + ")");
}

Result<Db> Db::Open(const std::string& path, const OpenOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!options.read_only && options.create) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // one connection per thread
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, options.vfs.empty() ? nullptr : options.vfs.c_str());
  Db db(raw);
  if (rc != SQLITE_OK) {
    std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::IOError("open " + path, why);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  if (options.read_only) return db;

  auto mode = db.QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") return Status::IOError("open " + path, "journal_mode is '" + *mode + "', not 'wal'");

  // FULL unless told otherwise; the value is read back, since a build or a
  // wrapper can override it silently (RELIABILITY.md V15).
  const int level = options.synchronous == "OFF" ? 0 : options.synchronous == "NORMAL" ? 1 : 2;
  const std::string set = "PRAGMA synchronous=" + std::to_string(level);
  if (Status s = db.Exec(set.c_str()); !s.ok()) return s;
  auto sync = db.QueryInt("PRAGMA synchronous");
  if (!sync.ok()) return sync.status();
  if (*sync != level) return Status::IOError("open " + path, "synchronous did not take");

  if (Status s = db.Exec("PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=1000;"
                         "PRAGMA journal_size_limit=67108864;");
      !s.ok()) {
    return s;
  }
  return db;
}

Status Db::Exec(const char* sql) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    NoteResult(rc);
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError(std::string_view(sql).substr(0, 60), why);
  }
  return Status::OK();
}

Result<std::int64_t> Db::QueryInt(const char* sql) {
  auto stmt = Stmt::Prepare(*this, sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound(sql, "no row");
  return stmt->ColumnInt(0);
}

Result<std::string> Db::QueryText(const char* sql) {
  auto stmt = Stmt::Prepare(*this, sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound(sql, "no row");
  return stmt->ColumnText(0);
}

std::int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }
int Db::Changes() const { return sqlite3_changes(db_.get()); }

void Stmt::Finalize::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Result<Stmt> Stmt::Prepare(Db& db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
    return db.Error(std::string("prepare ") + std::string(std::string_view(sql).substr(0, 60)));
  }
  return Stmt(db, raw);
}

Stmt& Stmt::Bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = db_->Error("bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK &&
      bind_error_.ok()) {
    bind_error_ = db_->Error("bind");
  }
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Stmt& Stmt::BindOptional(int index, const std::optional<std::int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Stmt& Stmt::BindTextOrNull(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

Stmt& Stmt::BindViewOrNull(int index, std::string_view text) {
  if (text.empty()) return BindNull(index);
  if (sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK &&
      bind_error_.ok()) {
    bind_error_ = db_->Error("bind");
  }
  return *this;
}

Result<bool> Stmt::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(std::string("step ") + std::string(std::string_view(sqlite3_sql(stmt_.get())).substr(0, 60)));
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::OK();
  }
}

Status Stmt::ForEachRow(const std::function<void(const Stmt&)>& row) {
  for (;;) {
    auto step = Step();
    if (!step.ok()) {
      sqlite3_reset(stmt_.get());
      return step.status();
    }
    if (!*step) break;
    row(*this);
  }
  sqlite3_reset(stmt_.get());
  return Status::OK();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = Status::OK();
}

std::int64_t Stmt::ColumnInt(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

std::string_view Stmt::ColumnView(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
  return text ? std::string_view(reinterpret_cast<const char*>(text),
                                 static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)))
              : std::string_view();
}

std::string Stmt::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)))
              : std::string();
}

bool Stmt::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

Result<Txn> Txn::Begin(Db& db) {
  if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  return Txn(db);
}

Status Txn::Commit() {
  Db* db = db_;
  db_ = nullptr;
  if (Status s = db->Exec("COMMIT"); !s.ok()) {
    // A failed COMMIT may leave the transaction open; make sure it is gone
    // so the caller can go on, and report that nothing was stored.
    db->Exec("ROLLBACK").ok();
    return s;
  }
  return Status::OK();
}

Txn::~Txn() {
  if (db_) db_->Exec("ROLLBACK").ok();  // never throws; failure means it is already gone
}

Result<ReadTxn> ReadTxn::Begin(Db& db) {
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  return ReadTxn(db);
}

Status ReadTxn::Commit() {
  Db* db = db_;
  db_ = nullptr;
  return db->Exec("COMMIT");
}

ReadTxn::~ReadTxn() {
  if (db_) db_->Exec("ROLLBACK").ok();  // never throws; failure means it is already gone
}

}  // namespace station::sql
