#include "daemon/ops/disk_space.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace station {
namespace {

constexpr std::int64_t kMiB = 1 << 20;

std::string Mib(std::int64_t bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

}  // namespace

std::int64_t FreeSpaceFloor(const DiskSpaceOptions& options, std::int64_t total_bytes) {
  return std::max(options.min_free_mb * kMiB, total_bytes / 10);
}

Result<DiskSpace> CheckDiskSpace(const DiskSpaceOptions& options) {
  struct statvfs fs {};
  if (::statvfs(options.path.c_str(), &fs) != 0) {
    return Status::IOError("free space of " + options.path, std::strerror(errno));
  }
  DiskSpace space;
  const auto unit = static_cast<std::int64_t>(fs.f_frsize ? fs.f_frsize : fs.f_bsize);
  space.free_bytes = static_cast<std::int64_t>(fs.f_bavail) * unit;
  space.total_bytes = static_cast<std::int64_t>(fs.f_blocks) * unit;
  space.floor_bytes = FreeSpaceFloor(options, space.total_bytes);
  return space;
}

Status DiskSpaceGuard::Admit() {
  if (options_.path.empty()) return Status::OK();
  auto space = CheckDiskSpace(options_);
  if (!space.ok()) {
    if (!check_failed_) spdlog::warn("cannot check the free disk space: {}", space.status().ToString());
    check_failed_ = true;
    return Status::OK();
  }
  check_failed_ = false;
  if (space->low()) {
    if (!low_) {
      spdlog::error("disk space low: {} free on the volume of {}, below the floor of {} (--min-free-mb {} or 10 % "
                    "of {}); new batches are answered \"retry later\" until space is freed",
                    Mib(space->free_bytes), options_.path, Mib(space->floor_bytes), options_.min_free_mb,
                    Mib(space->total_bytes));
    }
    low_ = true;
    return Status::Unavailable("disk space low, retry later",
                               Mib(space->free_bytes) + " free, below the floor of " + Mib(space->floor_bytes));
  }
  if (low_) {
    spdlog::warn("disk space recovered: {} free (floor {}); storing batches again", Mib(space->free_bytes),
                 Mib(space->floor_bytes));
  }
  low_ = false;
  return Status::OK();
}

}  // namespace station
