#include "daemon/storage/run_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace station {
namespace {

std::string LockPath(const std::string& dir) { return dir + "/stationd.lock"; }
std::string InfoPath(const std::string& dir) { return dir + "/stationd.json"; }

}  // namespace

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/station.db"; }

Result<DataDirLock> DataDirLock::Acquire(const std::string& data_dir) {
  int fd = ::open(LockPath(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("open " + LockPath(data_dir), std::strerror(errno));
  // A clerk's tool may hold a shared lock for an instant while it checks;
  // wait that out before deciding another daemon owns the folder.
  bool locked = false;
  for (int attempt = 0; attempt < 20 && !locked; ++attempt) {
    locked = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (!locked) ::usleep(50'000);
  }
  if (!locked) {
    ::close(fd);
    std::string who;
    if (auto info = FindRunningDaemon(data_dir); info.ok()) who = " (pid " + std::to_string(info->pid) + ")";
    return Status::Conflict("data folder " + data_dir, "another stationd" + who + " is using it");
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

namespace {

// fsync of a file or a folder by path; the run file's presence is what tells
// the next start whether this run stopped cleanly, so it must be durable.
Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path, std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("fsync " + path, std::strerror(err));
  return Status::OK();
}

}  // namespace

Status WriteRunInfo(const std::string& data_dir, const RunInfo& info) {
  nlohmann::json j{{"pid", info.pid}, {"station", info.station}, {"ingest", info.ingest},
                   {"control", info.control}, {"started_ms", info.started_ms}};
  if (!info.metrics.empty()) j["metrics"] = info.metrics;
  std::string tmp = InfoPath(data_dir) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!out) return Status::IOError("write " + tmp, std::strerror(errno));
  }
  if (Status s = SyncPath(tmp, O_RDONLY); !s.ok()) return s;
  if (std::rename(tmp.c_str(), InfoPath(data_dir).c_str()) != 0) {
    return Status::IOError("rename " + tmp, std::strerror(errno));
  }
  return SyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

void RemoveRunInfo(const std::string& data_dir) {
  std::remove(InfoPath(data_dir).c_str());
  SyncPath(data_dir, O_RDONLY | O_DIRECTORY).ok();  // best effort: at worst the next start rebuilds the index
}

bool FindLeftoverRunInfo(const std::string& data_dir) { return ::access(InfoPath(data_dir).c_str(), F_OK) == 0; }

Result<RunInfo> FindRunningDaemon(const std::string& data_dir) {
  // The lock, not the info file, says whether a daemon runs: the file
  // outlives a daemon killed with SIGKILL.
  int fd = ::open(LockPath(data_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("no stationd has run in " + data_dir);
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  if (!held) return Status::NotFound("no stationd is running in " + data_dir);

  std::ifstream in(InfoPath(data_dir));
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::NotFound("stationd is starting in " + data_dir);
  RunInfo info;
  info.pid = j.value("pid", 0);
  info.station = j.value("station", std::string());
  info.ingest = j.value("ingest", std::string());
  info.control = j.value("control", std::string());
  info.metrics = j.value("metrics", std::string());
  info.started_ms = j.value("started_ms", std::int64_t{0});
  return info;
}

}  // namespace station
