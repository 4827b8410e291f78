#pragma once
// Small pieces the ingest benchmark needs: a temp folder, child processes
// with bounded waits, a stationd to measure, and generated gun batch files. tests/support/ has
// richer versions, but it is only built with the tests, and a benchmark must
// build without them.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "scanner/status.h"

namespace station::bench {

// A fresh folder under /tmp, removed with everything in it when the object
// dies (unless keep() was called).
class TempDir {
 public:
  // kIOError when the folder cannot be made.
  static Result<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  void keep() { keep_ = true; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

// A started program. The destructor kills (SIGKILL) and reaps it if it is
// still running, so no child outlives the benchmark.
class Child {
 public:
  // Starts argv[0] with `argv`; stdout and stderr are appended to `log_path`.
  // kIOError when it cannot be started.
  static Result<Child> Start(const std::vector<std::string>& argv, const std::string& log_path);
  Child(Child&& other) noexcept : pid_(other.pid_), status_(other.status_), reaped_(other.reaped_) { other.pid_ = -1; }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Kill(); }

  pid_t pid() const { return pid_; }
  // False once the process has exited (it is then reaped).
  bool Running();
  // The exit code once exited, -signal when killed by one; meaningless while Running().
  int ExitCode() const;
  // Waits up to `timeout`; the exit code, or kTimedOut (left running).
  int Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then up to `grace` for a clean exit, then SIGKILL. The exit code.
  int Stop(std::chrono::milliseconds grace);
  void Kill();

  static constexpr int kTimedOut = -1000;

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// A gun batch file (DESIGN §8) of `rows` valid scans, seq 1..rows, of the
// common scan types; the same spec always gives the same text.
struct GunFileSpec {
  std::string device = "PDA-0001";
  std::string courier = "C1001";
  std::string station = "571001";
  std::string batch = "20261124-0001";
  int rows = 1000;
  std::uint64_t seed = 1;
};
std::string MakeGunFile(const GunFileSpec& spec);

// Writes `text` under a temporary name and renames it to `path`, as a dock
// does, so the agent never sees half a file.
Status WriteFileAtomically(const std::string& path, const std::string& text);

// A stationd started on tcp://127.0.0.1:* over its own data folder.
struct Station {
  Child process;
  std::string data_dir;
  std::string endpoint;  // the bound ingest endpoint
};
inline constexpr const char* kStationCode = "571001";

// Starts `stationd` for kStationCode over `data_dir` (created), its output
// appended to `log`, and waits at most 10 s until it says where it listens.
Result<Station> StartStation(const std::string& stationd, const std::string& data_dir, const std::string& log);

// Scans stored in the station database of `data_dir` (a read-only open,
// beside the running stationd).
Result<std::int64_t> CountScans(const std::string& data_dir);

// 1234567 -> "1,234,567".
std::string WithThousands(std::int64_t n);

}  // namespace station::bench
