#include "tests/faults/fault_injection.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

namespace station::test {
namespace {

// --- the plan, as the daemon's faulting thread sees it ---------------------

// Only the thread that installed the shim reads or changes g_state, so it
// needs no lock; every other thread passes straight through.
thread_local bool t_faulting_thread = false;

struct State {
  int generation = -1;
  FaultPlan plan;
  long counted = 0;  // operations (or allocations) of the plan's family since it was armed
};
State g_state;
char g_control_path[512];
char g_log_path[520];

FaultKind KindOf(const char* name) {
  if (std::strcmp(name, "ioerr") == 0) return FaultKind::kIoError;
  if (std::strcmp(name, "full") == 0) return FaultKind::kDiskFull;
  if (std::strcmp(name, "nomem") == 0) return FaultKind::kNoMemory;
  return FaultKind::kOff;
}

// Reads the control file again; a new generation starts a new count. Plain
// system calls and no allocation: this runs inside SQLite, possibly while
// its allocator is the one failing.
void Refresh() {
  if (!t_faulting_thread) return;
  int fd = ::open(g_control_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char text[128];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return;
  text[n] = '\0';
  int generation = 0, nth = 0;
  char kind[16], mode[16];
  if (std::sscanf(text, "%d %15s %15s %d", &generation, kind, mode, &nth) != 4) return;
  if (generation == g_state.generation) return;
  g_state.generation = generation;
  g_state.plan = FaultPlan{KindOf(kind), std::strcmp(mode, "forever") == 0, std::max(nth, 1)};
  g_state.counted = 0;
}

void Log(const char* what) {
  int fd = ::open(g_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char line[64];
  int len = std::snprintf(line, sizeof line, "%s count=%ld\n", what, g_state.counted);
  if (::write(fd, line, static_cast<std::size_t>(len)) < 0) {
    // Nothing to do: the test then sees one fault fewer and says so.
  }
  ::close(fd);
}

// Counts one operation of `family`; true when it is to fail.
bool Due(bool allocation) {
  if (!t_faulting_thread || g_state.plan.kind == FaultKind::kOff) return false;
  // Opening a connection allocates before it touches a file: while
  // allocations fail, look for a cleared plan at each one (a read of a
  // small file; only in this state).
  if (allocation && g_state.plan.kind == FaultKind::kNoMemory) Refresh();
  if (g_state.plan.kind == FaultKind::kOff) return false;
  if ((g_state.plan.kind == FaultKind::kNoMemory) != allocation) return false;
  ++g_state.counted;
  return g_state.plan.forever ? g_state.counted >= g_state.plan.nth : g_state.counted == g_state.plan.nth;
}

// The result for a failing I/O operation: SQLITE_FULL, or the I/O error
// the unix VFS itself returns for that operation.
int IoFault(int ioerr_code, const char* op) {
  Log(op);
  return g_state.plan.kind == FaultKind::kDiskFull ? SQLITE_FULL : ioerr_code;
}

// --- the VFS -----------------------------------------------------------------

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // the wrapped file, in the same allocation right after
};
static_assert(sizeof(FaultFile) % 8 == 0, "the wrapped file must stay 8-byte aligned");

sqlite3_vfs* g_real_vfs = nullptr;
sqlite3_vfs g_fault_vfs;

sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file)->real; }

int Close(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }
int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  if (Due(false)) return IoFault(SQLITE_IOERR_READ, "read");
  return Real(file)->pMethods->xRead(Real(file), data, amount, offset);
}
int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (Due(false)) return IoFault(SQLITE_IOERR_WRITE, "write");
  return Real(file)->pMethods->xWrite(Real(file), data, amount, offset);
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (Due(false)) return IoFault(SQLITE_IOERR_TRUNCATE, "truncate");
  return Real(file)->pMethods->xTruncate(Real(file), size);
}
int Sync(sqlite3_file* file, int flags) {
  if (Due(false)) return IoFault(SQLITE_IOERR_FSYNC, "sync");
  return Real(file)->pMethods->xSync(Real(file), flags);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) { return Real(file)->pMethods->xFileSize(Real(file), size); }
int Lock(sqlite3_file* file, int level) {
  Refresh();  // a transaction begins (rollback journal files, and opening)
  return Real(file)->pMethods->xLock(Real(file), level);
}
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
  // Every WAL transaction, read or write, starts by taking a WAL lock: the
  // moment to pick up a new plan, before the transaction's first operation.
  if (flags & SQLITE_SHM_LOCK) Refresh();
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
constexpr sqlite3_io_methods kMethods[] = {MethodsOfVersion(1), MethodsOfVersion(2), MethodsOfVersion(3)};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* base, int flags, int* out_flags) {
  FaultFile* file = reinterpret_cast<FaultFile*>(base);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  base->pMethods = nullptr;  // SQLite calls xClose only when this is set
  Refresh();  // a connection is opened again: after a fault, with the plan of now
  int rc = g_real_vfs->xOpen(g_real_vfs, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return rc;
  }
  base->pMethods = &kMethods[std::clamp(file->real->pMethods->iVersion, 1, 3) - 1];
  return SQLITE_OK;
}

// --- the allocator -------------------------------------------------------------

// SQLite's default allocator is not reachable before sqlite3_initialize(),
// and SQLITE_CONFIG_MALLOC must come before it, so this is a whole
// allocator on malloc(), with the size in an 8-byte header (as SQLite's
// own mem1.c does without malloc_usable_size).
void* Malloc(int n) {
  if (Due(true)) {
    Log("nomem");
    return nullptr;
  }
  auto* p = static_cast<sqlite3_int64*>(std::malloc(static_cast<std::size_t>(n) + 8));
  if (!p) return nullptr;
  p[0] = n;
  return p + 1;
}
void Free(void* p) {
  if (p) std::free(static_cast<sqlite3_int64*>(p) - 1);
}
void* Realloc(void* p, int n) {
  if (Due(true)) {
    Log("nomem");
    return nullptr;
  }
  auto* q = static_cast<sqlite3_int64*>(std::realloc(static_cast<sqlite3_int64*>(p) - 1, static_cast<std::size_t>(n) + 8));
  if (!q) return nullptr;
  q[0] = n;
  return q + 1;
}
int Size(void* p) { return p ? static_cast<int>(static_cast<sqlite3_int64*>(p)[-1]) : 0; }
int Roundup(int n) { return (n + 7) & ~7; }
int Init(void*) { return SQLITE_OK; }
void Shutdown(void*) {}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kIoError:
      return "ioerr";
    case FaultKind::kDiskFull:
      return "full";
    case FaultKind::kNoMemory:
      return "nomem";
    case FaultKind::kOff:
      break;
  }
  return "off";
}

Status InstallFaultInjection(const std::string& control_path) {
  if (control_path.empty() || control_path.size() >= sizeof g_control_path) {
    return Status::InvalidArgument("fault control file '" + control_path + "'", "empty or too long");
  }
  std::snprintf(g_control_path, sizeof g_control_path, "%s", control_path.c_str());
  std::snprintf(g_log_path, sizeof g_log_path, "%s.log", control_path.c_str());
  t_faulting_thread = true;
  static const sqlite3_mem_methods kAllocator = {Malloc, Free, Realloc, Size, Roundup, Init, Shutdown, nullptr};
  if (int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &kAllocator); rc != SQLITE_OK) {
    return Status::IOError("install the failing allocator", sqlite3_errstr(rc));
  }
  g_real_vfs = sqlite3_vfs_find(nullptr);  // initializes SQLite, with the allocator above
  if (!g_real_vfs) return Status::IOError("register the faults VFS", "no default VFS to wrap");
  g_fault_vfs = *g_real_vfs;
  g_fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real_vfs->szOsFile;
  g_fault_vfs.pNext = nullptr;
  g_fault_vfs.zName = kFaultVfsName;
  g_fault_vfs.xOpen = Open;
  if (int rc = sqlite3_vfs_register(&g_fault_vfs, /*makeDflt=*/1); rc != SQLITE_OK) {
    return Status::IOError("register the faults VFS", sqlite3_errstr(rc));
  }
  return Status::OK();
}

void FaultControl::Arm(const FaultPlan& plan) {
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ++generation_ << ' ' << FaultKindName(plan.kind) << ' ' << (plan.forever ? "forever" : "once") << ' '
        << plan.nth << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp);
}

int FaultControl::Injected() const {
  std::ifstream in(path_ + ".log");
  return static_cast<int>(std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

}  // namespace station::test
