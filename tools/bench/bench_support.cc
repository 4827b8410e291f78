#include "tools/bench/bench_support.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/run_file.h"
#include "daemon/sqlite.h"

namespace station::bench {

Result<TempDir> TempDir::Create(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Status::IOError("mkdtemp " + pattern, std::strerror(errno));
  return TempDir(pattern);
}

TempDir::~TempDir() {
  if (path_.empty() || keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<Station> StartStation(const std::string& stationd, const std::string& data_dir, const std::string& log) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  auto child = sim::ChildProcess::Start(
      {stationd, "--station", kStationCode, "--data-dir", data_dir, "--ingest", "tcp://127.0.0.1:*"}, log);
  if (!child.ok()) return child.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = FindRunningDaemon(data_dir);
    if (info.ok() && info->pid == child->pid() && !info->ingest.empty()) {
      return Station{std::move(*child), data_dir, info->ingest};
    }
    if (!child->Running()) {
      return Status::Unavailable("stationd", "exited at start with " + std::to_string(child->ExitCode()) +
                                                 "; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Unavailable("stationd", "not listening within 10 s; see " + log);
}

Result<std::int64_t> CountScans(const std::string& data_dir) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) return db.status();
  return db->QueryInt("SELECT count(*) FROM scans");
}

std::string WithThousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace station::bench
