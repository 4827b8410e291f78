#pragma once
// Fault injection for the machine's bad days (RELIABILITY.md T3, T5).
//
// Inside the test build of stationd (stationd_faults_main.cc), a SQLite VFS
// "faults" wraps the default unix VFS and a wrapper installed with
// sqlite3_config(SQLITE_CONFIG_MALLOC) wraps SQLite's allocator. While a
// fault is armed they fail the Nth I/O operation (xRead, xWrite, xSync,
// xTruncate) with SQLITE_IOERR_* or SQLITE_FULL, or the Nth allocation
// (NOMEM), once or from the Nth on ("forever"), until cleared.
//
// Only the thread that installed them is affected: stationd's main thread,
// which runs the ingest loop and its one writer connection. The counts are
// then those of the batch commit under test, not of whatever the
// background threads (waybill index, problem desk) happen to do meanwhile.
//
// The test arms and clears faults through a control file (FaultControl):
// one line "GENERATION KIND MODE N". The daemon reads it again each time
// its main thread opens a file or takes a lock, i.e. at the start of every
// transaction, and a new generation starts the count from zero; the test writes it
// while the daemon is idle (between a reply and the next batch), so there
// is no race. Each fault injected appends one line to "<control>.log".

#include <string>
#include <utility>

#include "core/status.h"

namespace station::test {

inline constexpr char kFaultVfsName[] = "faults";
// The control file's path, for stationd-faults (set by the test).
inline constexpr char kFaultControlEnv[] = "STATION_FAULTS_FILE";

enum class FaultKind { kOff, kIoError, kDiskFull, kNoMemory };

struct FaultPlan {
  FaultKind kind = FaultKind::kOff;
  bool forever = false;  // false: only the Nth fails
  int nth = 1;           // counted from the first transaction after arming
};

// "ioerr", "full", "nomem", "off".
const char* FaultKindName(FaultKind kind);

// In the daemon, before anything touches SQLite: installs the allocator
// wrapper and registers "faults" as the default VFS, reading its plan from
// `control_path`, with the calling thread as the one that faults.
// kIOError when SQLite refuses either.
Status InstallFaultInjection(const std::string& control_path);

// The test's side of the control file.
class FaultControl {
 public:
  explicit FaultControl(std::string control_path) : path_(std::move(control_path)) {}
  // Atomically replaces the plan (write, then rename); throws on failure.
  void Arm(const FaultPlan& plan);
  void Clear() { Arm(FaultPlan{}); }
  // Faults injected so far (lines of the log).
  int Injected() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int generation_ = 0;
};

}  // namespace station::test
