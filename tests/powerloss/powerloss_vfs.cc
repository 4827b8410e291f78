#include "tests/powerloss/powerloss_vfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <sqlite3.h>

namespace station::test {
namespace {

// One record of "<file>.undo". The change it precedes is undone by writing
// the `length` old bytes that follow the header back at `offset`, then
// truncating the file to `size_before`. Undone newest first, the records
// take a file back to its content and size at its last sync.
struct UndoHeader {
  std::int64_t offset;
  std::int64_t size_before;
  std::int64_t length;
};

// Our sqlite3_file. The wrapped VFS's file lives right after it, in the same
// allocation (szOsFile is the sum of both sizes).
struct PowerlossFile {
  sqlite3_file base;
  sqlite3_file* real;
  int undo_fd;  // -1: a file nobody reads after a crash (temp files)
};
static_assert(sizeof(PowerlossFile) % 8 == 0, "the wrapped file must stay 8-byte aligned");

sqlite3_vfs* g_real_vfs = nullptr;
sqlite3_vfs g_powerloss_vfs;

PowerlossFile* Self(sqlite3_file* file) { return reinterpret_cast<PowerlossFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Self(file)->real; }

bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool WriteAllAt(int fd, const char* data, std::size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

// Appends the undo record for a change to bytes [offset, end) of `file`,
// before the change is made: if the process dies in between, undoing a
// change that never happened is harmless. A record torn by the kill is
// dropped by RevertUnsynced(); its change had not started either.
int RecordUndo(PowerlossFile* file, sqlite3_int64 offset, sqlite3_int64 end) {
  if (file->undo_fd < 0) return SQLITE_OK;
  sqlite3_int64 size = 0;
  if (int rc = file->real->pMethods->xFileSize(file->real, &size); rc != SQLITE_OK) return rc;
  // Only bytes that exist can be overwritten; past the end, the truncate to
  // size_before undoes the change.
  UndoHeader header{offset, size, std::max<sqlite3_int64>(0, std::min(end, size) - offset)};
  std::vector<char> record(sizeof header + static_cast<std::size_t>(header.length));
  std::memcpy(record.data(), &header, sizeof header);
  if (header.length > 0) {
    int rc =
        file->real->pMethods->xRead(file->real, record.data() + sizeof header, static_cast<int>(header.length), offset);
    if (rc != SQLITE_OK) return rc;
  }
  // No fsync: a SIGKILL keeps the page cache, and the power cut is simulated
  // by RevertUnsynced(), not by the kernel.
  return WriteAll(file->undo_fd, record.data(), record.size()) ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

int Close(sqlite3_file* file) {
  int rc = Real(file)->pMethods->xClose(Real(file));
  // The undo journal stays: closing a file does not make its writes durable.
  if (Self(file)->undo_fd >= 0) ::close(Self(file)->undo_fd);
  return rc;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (int rc = RecordUndo(Self(file), offset, offset + amount); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xWrite(Real(file), data, amount, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = RecordUndo(Self(file), size, INT64_MAX); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int flags) {
  int rc = Real(file)->pMethods->xSync(Real(file), flags);
  // Everything written so far is durable now: nothing left to undo. The
  // journal is shared by path, so a sync through any connection counts.
  if (rc == SQLITE_OK && Self(file)->undo_fd >= 0 && ::ftruncate(Self(file)->undo_fd, 0) != 0) {
    return SQLITE_IOERR_FSYNC;
  }
  return rc;
}

// The rest is forwarded unchanged. The WAL index (-shm) is mapped by the
// wrapped VFS itself and is not tracked: SQLite rebuilds it from the WAL.
int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  return Real(file)->pMethods->xRead(Real(file), data, amount, offset);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) { return Real(file)->pMethods->xFileSize(Real(file), size); }
int Lock(sqlite3_file* file, int level) { return Real(file)->pMethods->xLock(Real(file), level); }
int Unlock(sqlite3_file* file, int level) { return Real(file)->pMethods->xUnlock(Real(file), level); }
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}
int SectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }
int DeviceCharacteristics(sqlite3_file* file) { return Real(file)->pMethods->xDeviceCharacteristics(Real(file)); }
int ShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, page_size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }
int ShmUnmap(sqlite3_file* file, int delete_flag) { return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag); }
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return Real(file)->pMethods->xFetch(Real(file), offset, amount, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Real(file)->pMethods->xUnfetch(Real(file), offset, p);
}

// clang-format off
constexpr sqlite3_io_methods MethodsOfVersion(int version) {
  return {version,
          Close, Read, Write, Truncate, Sync, FileSize, Lock, Unlock, CheckReservedLock,
          FileControl, SectorSize, DeviceCharacteristics,  // version 1
          ShmMap, ShmLock, ShmBarrier, ShmUnmap,             // version 2
          Fetch, Unfetch};                                   // version 3
}
// clang-format on
// SQLite calls only the methods that the file's iVersion promises, so each
// file gets the table of its wrapped file's version.
constexpr sqlite3_io_methods kMethods[] = {MethodsOfVersion(1), MethodsOfVersion(2), MethodsOfVersion(3)};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* base, int flags, int* out_flags) {
  PowerlossFile* file = Self(base);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->undo_fd = -1;
  base->pMethods = nullptr;  // SQLite calls xClose only when this is set
  int rc = g_real_vfs->xOpen(g_real_vfs, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return rc;
  }
  // Only the files a restart reads need undoing; temp files die with the process.
  const bool survives_restart = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)) != 0;
  if (name && survives_restart && !(flags & SQLITE_OPEN_READONLY)) {
    file->undo_fd = ::open((std::string(name) + ".undo").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (file->undo_fd < 0) {
      file->real->pMethods->xClose(file->real);
      return SQLITE_CANTOPEN;
    }
  }
  int version = std::clamp(file->real->pMethods->iVersion, 1, 3);
  base->pMethods = &kMethods[version - 1];
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  int rc = g_real_vfs->xDelete(g_real_vfs, name, sync_dir);
  // The unsynced changes of a deleted file are moot. (Directory entries are
  // not modelled: a deletion, like a creation, survives the power cut.)
  ::unlink((std::string(name) + ".undo").c_str());
  return rc;
}

// Reads the records of an undo journal, dropping a torn last one.
Result<std::vector<std::pair<UndoHeader, std::string>>> ReadUndoJournal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("read " + path, std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::pair<UndoHeader, std::string>> records;
  std::size_t pos = 0;
  while (text.size() - pos >= sizeof(UndoHeader)) {
    UndoHeader header;
    std::memcpy(&header, text.data() + pos, sizeof header);
    pos += sizeof header;
    if (header.offset < 0 || header.size_before < 0 || header.length < 0) {
      return Status::IOError("read " + path, "corrupt undo record");
    }
    if (static_cast<std::uint64_t>(header.length) > text.size() - pos) break;  // torn by the kill
    records.emplace_back(header, text.substr(pos, static_cast<std::size_t>(header.length)));
    pos += static_cast<std::size_t>(header.length);
  }
  return records;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Status RegisterPowerlossVfs() {
  if (sqlite3_vfs_find(kPowerlossVfsName)) return Status::OK();
  g_real_vfs = sqlite3_vfs_find(nullptr);
  if (!g_real_vfs) return Status::IOError("register powerloss VFS", "no default VFS to wrap");
  // A copy keeps the wrapped VFS's version, pAppData, path limit and every
  // method that does not change a file (xAccess, xRandomness, ...).
  g_powerloss_vfs = *g_real_vfs;
  g_powerloss_vfs.szOsFile = static_cast<int>(sizeof(PowerlossFile)) + g_real_vfs->szOsFile;
  g_powerloss_vfs.pNext = nullptr;
  g_powerloss_vfs.zName = kPowerlossVfsName;
  g_powerloss_vfs.xOpen = Open;
  g_powerloss_vfs.xDelete = Delete;
  if (int rc = sqlite3_vfs_register(&g_powerloss_vfs, /*makeDflt=*/1); rc != SQLITE_OK) {
    return Status::IOError("register powerloss VFS", sqlite3_errstr(rc));
  }
  return Status::OK();
}

Result<RevertSummary> RevertUnsynced(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> undo_journals, wal_indexes;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    if (EndsWith(path, ".undo")) undo_journals.push_back(path);
    if (EndsWith(path, "-shm")) wal_indexes.push_back(path);
  }
  if (ec) return Status::IOError("list " + dir, ec.message());

  RevertSummary summary;
  for (const std::string& journal : undo_journals) {
    auto records = ReadUndoJournal(journal);
    if (!records.ok()) return records.status();
    const std::string target = journal.substr(0, journal.size() - std::strlen(".undo"));
    // A missing target was deleted after its last change; the deletion stands.
    int fd = records->empty() ? -1 : ::open(target.c_str(), O_RDWR | O_CLOEXEC);
    if (!records->empty() && fd < 0 && errno != ENOENT) {
      return Status::IOError("open " + target, std::strerror(errno));
    }
    if (fd >= 0) {
      for (auto it = records->rbegin(); it != records->rend(); ++it) {
        const auto& [header, old_bytes] = *it;
        if (!WriteAllAt(fd, old_bytes.data(), old_bytes.size(), header.offset) ||
            ::ftruncate(fd, header.size_before) != 0) {
          Status s = Status::IOError("restore " + target, std::strerror(errno));
          ::close(fd);
          return s;
        }
      }
      ::close(fd);
      ++summary.files;
      summary.changes += static_cast<std::int64_t>(records->size());
    }
    // A journal left behind would be appended to by the next run and
    // replayed against the wrong content.
    if (!fs::remove(journal, ec) && ec) return Status::IOError("remove " + journal, ec.message());
  }
  for (const std::string& index : wal_indexes) {
    if (!fs::remove(index, ec) && ec) return Status::IOError("remove " + index, ec.message());
  }
  return summary;
}

}  // namespace station::test
