#pragma once
// How a stationd and its clerks find each other through the data folder:
// stationd.lock is held (flock) by the running daemon, so two daemons can
// never share one database; stationd.json tells where it listens.

#include <string>

#include "core/status.h"

namespace station {

struct RunInfo {
  int pid = 0;
  std::string station;
  std::string ingest;   // the bound endpoint, port filled in
  std::string control;  // where stationctl sends commands
  std::int64_t started_ms = 0;
  // The Prometheus endpoint, HOST:PORT with the port filled in; empty when
  // stationd runs without --metrics.
  std::string metrics = {};
};

// Holds the data folder's lock for the life of the object.
class DataDirLock {
 public:
  // kConflict naming the other daemon's pid when the folder is in use.
  static Result<DataDirLock> Acquire(const std::string& data_dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Writes stationd.json atomically (temporary file, then rename).
Status WriteRunInfo(const std::string& data_dir, const RunInfo& info);
void RemoveRunInfo(const std::string& data_dir);
// True when stationd.json is there although no daemon holds the folder:
// the previous run was killed or lost power. Call while holding the lock.
bool FindLeftoverRunInfo(const std::string& data_dir);

// The running daemon's info; kNotFound when no stationd holds the folder.
Result<RunInfo> FindRunningDaemon(const std::string& data_dir);

std::string DatabasePath(const std::string& data_dir);

}  // namespace station
