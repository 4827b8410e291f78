// RELIABILITY.md T5, second part: stationd under a memory limit, fed large
// batches until it reaches the limit. Whatever it does there (answers
// "retry later" on SQLITE_NOMEM, exits, or is killed by the kernel's OOM
// killer), it must never have acknowledged a batch it did not commit, and a
// restart without the limit must find every acknowledged batch.
//
// The limit is a cgroup v1 memory cgroup (a child of the test's own, so the
// test's own accounting still holds) when /sys/fs/cgroup/memory is writable;
// else RLIMIT_AS through prlimit(2) (STATION_MEMORY_LIMIT=rlimit forces that).
// The figures say which.

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "daemon/storage/run_file.h"
#include "tests/faults/fault_support.h"
#include "tests/support/asan.h"
#include "tests/support/figures.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace station::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kMiB = 1 << 20;

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// A memory limit on one process, and its cgroup removed afterwards.
class MemoryLimit {
 public:
  MemoryLimit() = default;
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;
  // REQUIRES: the process is gone (rmdir refuses a cgroup with members).
  ~MemoryLimit() {
    if (!cgroup_.empty()) ::rmdir(cgroup_.c_str());
  }

  // A memory cgroup of `bytes` under the test's own, with `pid` moved in.
  bool TryCgroup(int pid, std::int64_t bytes) {
    std::ifstream self("/proc/self/cgroup");
    std::string line, own;
    while (std::getline(self, line)) {
      const auto at = line.find(":memory:");
      if (at != std::string::npos) own = line.substr(at + 8);
    }
    const std::string parent = "/sys/fs/cgroup/memory" + (own == "/" ? "" : own);
    struct stat st {};
    if (own.empty() || ::stat((parent + "/memory.limit_in_bytes").c_str(), &st) != 0) return false;
    const std::string dir = parent + "/stationsync-t5-" + std::to_string(::getpid());
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
    cgroup_ = dir;
    WriteText(dir + "/memory.swappiness", "0");  // no swap way out; may be refused
    if (!WriteText(dir + "/memory.limit_in_bytes", std::to_string(bytes))) return false;
    WriteText(dir + "/memory.memsw.limit_in_bytes", std::to_string(bytes));  // only with swap accounting
    if (!WriteText(dir + "/cgroup.procs", std::to_string(pid))) return false;
    method_ = "cgroup v1 memory.limit_in_bytes=" + std::to_string(bytes / kMiB) + " MiB of new memory";
    return true;
  }

  // RLIMIT_AS of the process's address space now plus `bytes`.
  bool TryAddressSpace(int pid, std::int64_t bytes) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    std::int64_t vm_kb = -1;
    while (std::getline(status, line)) {
      if (line.rfind("VmSize:", 0) == 0) vm_kb = std::atoll(line.c_str() + 7);
    }
    if (vm_kb < 0) return false;
    const rlimit limit{static_cast<rlim_t>(vm_kb * 1024 + bytes), static_cast<rlim_t>(vm_kb * 1024 + bytes)};
    if (::prlimit(pid, RLIMIT_AS, &limit, nullptr) != 0) return false;
    method_ = "RLIMIT_AS=" + std::to_string((vm_kb * 1024 + bytes) / kMiB) + " MiB (address space at start + " +
              std::to_string(bytes / kMiB) + " MiB)";
    return true;
  }

  const std::string& method() const { return method_; }

 private:
  std::string cgroup_;
  std::string method_;
};

std::uint64_t SeedOf(const std::string& batch) { return std::hash<std::string>{}(batch); }

}  // namespace

TEST_CASE("T5: under a memory limit stationd never acknowledges what it did not commit, and a restart recovers",
          "[integration][faults]") {
  constexpr int kRows = 4000;
  TempDir dir;
  const std::string data_dir = dir.Path("data");
  const std::string log = dir.Path("stationd.log");
  INFO("stationd log: " << log << " (STATION_KEEP_TEST_DIRS=1 keeps it)");

  std::vector<std::string> acked;
  int retry_later = 0, other = 0, batches = 0;
  int exit_code = 0;
  bool died = false;
  std::string method;
  {
    MemoryLimit limit;  // outlives the process, whose cgroup it removes
    zmq::context_t context(1);
    RunningStation station = StartStationd(data_dir, kFaultStation, log);
    const int pid = station.process.pid();
    // The limit goes on once every thread has started (the run file comes
    // before some of them): the test is about storing, not starting.
    REQUIRE(WaitFor(
        [&] {
          std::ifstream in(log);
          std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          return text.find("stationd started") != std::string::npos;
        },
        10s));
    // STATION_MEMORY_LIMIT=rlimit tries the fallback where a cgroup would work.
    const char* forced = std::getenv("STATION_MEMORY_LIMIT");
    const bool cgroup = !(forced && std::string(forced) == "rlimit") && limit.TryCgroup(pid, 16 * kMiB);
    REQUIRE((cgroup || limit.TryAddressSpace(pid, 8 * kMiB)));
    method = limit.method();
    INFO("limit: " << method);
    RawDock dock(context, station.endpoint);
    const auto deadline = SteadyClock::now() + (kUnderAsan ? 40s : 15s);
    BatchAck ack;
    // Fed until it dies, or has refused for want of memory for a while.
    for (int n = 1; n <= 400 && retry_later < 20 && SteadyClock::now() < deadline; ++n) {
      const std::string batch = "m" + std::to_string(n);
      ++batches;
      const Answer answer = dock.Call(batch, kRows, SeedOf(batch), 5s, &ack);
      if (answer == Answer::kStored) {
        acked.push_back(batch);
      } else if (answer == Answer::kRetryLater) {
        ++retry_later;
      } else if (answer == Answer::kOther) {
        ++other;
      }
      if (!station.process.Running()) {
        died = true;
        break;
      }
      if (answer == Answer::kNone) {
        // No answer in 5 s: dying or stuck at the limit. Stop it below.
        break;
      }
    }
    if (!died) {
      exit_code = station.process.Stop(10s);
    } else {
      exit_code = station.process.ExitCode();
    }
  }
  // The restart, without a limit: recovers and stops cleanly.
  {
    RunningStation station = StartStationd(data_dir, kFaultStation, log);
    station.process.Signal(SIGTERM);
    REQUIRE(station.process.Wait(10s) == 0);
  }
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), read_only);
  REQUIRE(db.ok());
  auto integrity = db->QueryText("PRAGMA integrity_check");
  REQUIRE(integrity.ok());
  CHECK(*integrity == "ok");
  int lost = 0;
  for (const std::string& batch : acked) {
    if (StoredRows(*db, batch) != kRows) ++lost;
  }
  const bool limit_reached = died || retry_later > 0 || exit_code != 0;
  PrintFigures(
      "memory limit (%s): batches sent=%d (of %d scans) acked=%d retry-later=%d other answers=%d; stationd %s "
      "(exit code %d, negative: signal); lost after restart=%d\n",
      method.c_str(), batches, kRows, static_cast<int>(acked.size()), retry_later, other,
      died ? "ended at the limit" : "was stopped", exit_code, lost);
  CHECK(lost == 0);
  CHECK(other == 0);
  // Under ASan the allocator maps its heap up front and the limit may never
  // bite; the promises above still hold.
  if (!kUnderAsan) CHECK(limit_reached);
}

}  // namespace station::test
