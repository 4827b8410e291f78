#include "daemon/storage/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>  // renameat2 (glibc 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "security/key_store.h"

namespace station {
namespace {

namespace fs = std::filesystem;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using RawDb = std::unique_ptr<sqlite3, CloseDb>;

Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path + " to sync", std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError("sync " + path, std::strerror(errno));
  return Status::OK();
}

// Copies the SQLite database `from` (read-only, beside its live writer)
// into the new file `to`, in one backup step: one read transaction, one
// snapshot.
Status CopyDatabase(const std::string& from, const std::string& to) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(from.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  RawDb source(raw);
  if (rc != SQLITE_OK) return Status::IOError("open " + from, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(source.get(), 5000);
  raw = nullptr;
  rc = sqlite3_open_v2(to.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  RawDb dest(raw);
  if (rc != SQLITE_OK) return Status::IOError("create " + to, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", source.get(), "main");
  if (!backup) return Status::IOError("backup " + from, sqlite3_errmsg(dest.get()));
  // -1: every page in one step. A busy source (a checkpoint restarting
  // the WAL) is retried a bounded number of times.
  for (int attempt = 0; attempt < 50; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(100);
  }
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return Status::IOError("backup " + from, sqlite3_errstr(rc));
  if (finish != SQLITE_OK) return Status::IOError("backup " + from, sqlite3_errmsg(dest.get()));
  // The copy carries the source's WAL mark; a backup is one plain file
  // (no -wal or -shm beside it), and stationd sets WAL again at its open.
  char* err = nullptr;
  if (sqlite3_exec(dest.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError("backup " + to + ": journal_mode=DELETE", why);
  }
  dest.reset();  // closed before it is synced
  return SyncPath(to, O_RDONLY);
}

Result<std::int64_t> QueryIntAt(const std::string& path, const char* sql) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  return db->QueryInt(sql);
}

Status CheckCopy(const std::string& path) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  auto check = db->QueryText("PRAGMA integrity_check");
  if (!check.ok()) return check.status();
  if (*check != "ok") return Status::IOError("the copy " + path + " failed its integrity check", *check);
  return Status::OK();
}

// The station's own key pair and anything else in keys/, mode kept.
Result<int> CopyKeyFiles(const std::string& from_dir, const std::string& to_dir) {
  std::error_code ec;
  if (!fs::is_directory(from_dir, ec)) return 0;
  if (::mkdir(to_dir.c_str(), 0700) != 0) return Status::IOError("create " + to_dir, std::strerror(errno));
  int copied = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(from_dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string to = to_dir + "/" + entry.path().filename().string();
    if (!fs::copy_file(entry.path(), to, fs::copy_options::none, ec)) {
      return Status::IOError("copy " + entry.path().string(), ec.message());
    }
    fs::permissions(to, fs::status(entry.path()).permissions(), ec);
    if (Status s = SyncPath(to, O_RDONLY); !s.ok()) return s;
    ++copied;
  }
  if (ec) return Status::IOError("read " + from_dir, ec.message());
  if (Status s = SyncPath(to_dir, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  return copied;
}

Status CheckDestination(const std::string& dest) {
  if (dest.empty()) return Status::InvalidArgument("backup folder", "is empty");
  struct stat st {};
  if (::lstat(dest.c_str(), &st) == 0) {
    return Status::InvalidArgument("backup folder " + dest, "exists already; a backup never overwrites: name a new one");
  }
  fs::path parent = fs::absolute(dest).lexically_normal().parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    return Status::InvalidArgument("backup folder " + dest, "its parent folder " + parent.string() + " does not exist");
  }
  return Status::OK();
}

Result<BackupResult> CopyInto(const std::string& data_dir, const std::string& tmp) {
  BackupResult r;
  const std::string db = tmp + "/station.db";
  if (Status s = CopyDatabase(DatabasePath(data_dir), db); !s.ok()) return s;
  if (Status s = CheckCopy(db); !s.ok()) return s;
  auto version = QueryIntAt(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  r.schema_version = *version;
  auto scans = QueryIntAt(db, "SELECT count(*) FROM scans");
  if (!scans.ok()) return scans.status();
  r.scans = *scans;
  auto newest = QueryIntAt(db, "SELECT coalesce(max(id), 0) FROM scans");
  if (!newest.ok()) return newest.status();
  r.newest_scan_id = *newest;
  std::error_code ec;
  r.station_db_bytes = static_cast<std::int64_t>(fs::file_size(db, ec));
  const std::string keys_db = security::KeyStorePath(data_dir);
  if (fs::exists(keys_db, ec)) {
    const std::string to = tmp + "/" + fs::path(keys_db).filename().string();
    if (Status s = CopyDatabase(keys_db, to); !s.ok()) return s;
    if (Status s = CheckCopy(to); !s.ok()) return s;
    ::chmod(to.c_str(), 0600);
    r.keys_db = true;
  }
  auto keys = CopyKeyFiles(data_dir + "/keys", tmp + "/keys");
  if (!keys.ok()) return keys.status();
  r.key_files = *keys;
  if (Status s = SyncPath(tmp, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  return r;
}

}  // namespace

Result<BackupResult> BackupDataDir(const std::string& data_dir, const std::string& dest) {
  if (Status s = CheckDestination(dest); !s.ok()) return s;
  std::error_code ec;
  if (!fs::exists(DatabasePath(data_dir), ec)) {
    return Status::InvalidArgument("data folder " + data_dir, "has no station.db: nothing to back up");
  }
  const fs::path target = fs::absolute(dest).lexically_normal();
  const std::string tmp = target.string() + ".partial-" + std::to_string(::getpid());
  if (::mkdir(tmp.c_str(), 0700) != 0) return Status::IOError("create " + tmp, std::strerror(errno));
  auto copied = CopyInto(data_dir, tmp);
  if (copied.ok()) {
    // RENAME_NOREPLACE: a folder made at `dest` meanwhile is not replaced.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
      copied = Status::IOError("rename the backup to " + target.string(), std::strerror(errno));
    } else if (Status s = SyncPath(target.parent_path().string(), O_RDONLY | O_DIRECTORY); !s.ok()) {
      return s;
    }
  }
  if (!copied.ok()) {
    fs::remove_all(tmp, ec);
    return copied.status();
  }
  copied->folder = target.string();
  return copied;
}

}  // namespace station
