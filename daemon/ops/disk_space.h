#pragma once
// Free space on the data folder's volume, checked before each group of
// batches is stored (RELIABILITY.md §4, T4): below the floor stationd
// answers "retry later" instead of writing, so it never acknowledges into
// a disk about to fill, and SQLite never meets ENOSPC mid-commit. The gun
// keeps its file; the dock sends it again.

#include <cstdint>
#include <string>
#include <utility>

#include "core/status.h"

namespace station {

struct DiskSpaceOptions {
  std::string path;  // a folder on the volume (the data folder); empty: no check
  // The floor is the larger of this and 10 % of the volume's size: a group
  // commit of the largest batches writes tens of MiB to the WAL, and the WAL
  // and the database grow again at the next checkpoint.
  std::int64_t min_free_mb = 256;
};

// The floor in bytes for a volume of `total_bytes`.
std::int64_t FreeSpaceFloor(const DiskSpaceOptions& options, std::int64_t total_bytes);

struct DiskSpace {
  std::int64_t free_bytes = 0;   // available to this process (statvfs f_bavail)
  std::int64_t total_bytes = 0;
  std::int64_t floor_bytes = 0;
  bool low() const { return free_bytes < floor_bytes; }
};

// statvfs() of options.path: one system call. kIOError when it fails.
Result<DiskSpace> CheckDiskSpace(const DiskSpaceOptions& options);

// Decides, per group of batches, whether there is room to store it, and
// logs each change between "low" and "enough" once, not per batch.
class DiskSpaceGuard {
 public:
  explicit DiskSpaceGuard(DiskSpaceOptions options) : options_(std::move(options)) {}
  // OK: store. kUnavailable naming the free space and the floor: refuse the
  // group with "retry later". A failing statvfs is logged and lets the
  // group through: SQLite's own errors still stop an ack without a commit.
  Status Admit();

 private:
  DiskSpaceOptions options_;
  bool low_ = false;
  bool check_failed_ = false;
};

}  // namespace station
