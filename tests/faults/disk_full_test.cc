// RELIABILITY.md T4: a full disk. The data folder lives on a 16 MiB tmpfs
// mounted by the test; a filler file leaves a few MiB above stationd's free
// space floor (--min-free-mb 4: max(4 MiB, 10 % of 16 MiB)). Batches go in
// until stationd answers "disk space low, retry later", which must come
// before SQLite ever meets ENOSPC (no "storage failed" answer); deleting the
// filler must let the next resend be stored within 5 s, by the running
// daemon; and after a clean stop every acknowledged batch is there.
//
// Mounting needs root (CI runs as root): without it the test fails, saying so.

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "daemon/storage/run_file.h"
#include "tests/faults/fault_support.h"
#include "tests/support/figures.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

namespace station::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kMiB = 1 << 20;

// A tmpfs of `size_mb` at `path`, unmounted (lazily, so even with a file
// still open) when the object goes, whatever the test's outcome.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, int size_mb) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string options = "size=" + std::to_string(size_mb) + "m,mode=0755";
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      throw std::runtime_error("T4 mounts a " + std::to_string(size_mb) + " MiB tmpfs at " + path + " and cannot: " +
                               std::strerror(errno) + " (run the fault tests as root, as CI does)");
    }
  }
  ~TmpfsMount() { ::umount2(path_.c_str(), MNT_DETACH); }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

 private:
  std::string path_;
};

std::int64_t FreeBytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) throw std::runtime_error("statvfs " + path + ": " + std::strerror(errno));
  return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
}

// A file of `bytes` that really takes its space.
void WriteFiller(const std::string& path, std::int64_t bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("create " + path + ": " + std::strerror(errno));
  const int rc = ::posix_fallocate(fd, 0, bytes);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fill " + path + ": " + std::strerror(rc));
}

std::uint64_t SeedOf(const std::string& batch) { return std::hash<std::string>{}(batch); }

}  // namespace

TEST_CASE("T4: with the disk nearly full stationd answers retry later before ENOSPC, and resumes when space is freed",
          "[integration][faults]") {
  constexpr int kRows = 200;
  constexpr std::int64_t kFloor = 4 * kMiB;  // --min-free-mb 4 > 10 % of 16 MiB
  TempDir dir;
  const std::string volume = dir.Path("volume");
  const std::string data_dir = volume + "/data";
  const std::string log = dir.Path("stationd.log");  // off the small volume
  INFO("stationd log: " << log << " (STATION_KEEP_TEST_DIRS=1 keeps it)");
  TmpfsMount mount(volume, 16);

  zmq::context_t context(1);
  RunningStation station =
      StartStationd(data_dir, kFaultStation, log, nullptr, "tcp://127.0.0.1:*", {"--min-free-mb", "4"});
  RawDock dock(context, station.endpoint);
  // Room for some batches above the floor, and no more.
  const std::string filler = volume + "/filler";
  WriteFiller(filler, FreeBytes(volume) - kFloor - 3 * kMiB);

  std::vector<std::string> acked;
  std::vector<std::string> refused;
  int storage_failed = 0;
  const auto deadline = SteadyClock::now() + 20s;
  BatchAck ack;
  for (int n = 1; refused.size() < 5 && n <= 2000 && SteadyClock::now() < deadline; ++n) {
    const std::string batch = "d" + std::to_string(n);
    const Answer answer = dock.Call(batch, kRows, SeedOf(batch), 15s, &ack);
    INFO(batch << ": " << AnswerName(answer) << " " << ack.error);
    REQUIRE(answer != Answer::kNone);
    if (answer == Answer::kStored) {
      // Once refusing for want of space, nothing more is stored.
      CHECK(refused.empty());
      acked.push_back(batch);
      continue;
    }
    REQUIRE(answer == Answer::kRetryLater);
    if (ack.error.rfind("disk space low, retry later", 0) == 0) {
      refused.push_back(batch);
    } else {
      ++storage_failed;  // SQLite met the full disk: the guard came too late
    }
  }
  const std::int64_t free_at_refusal = FreeBytes(volume);
  REQUIRE(refused.size() == 5);
  CHECK(storage_failed == 0);
  CHECK(free_at_refusal > 0);
  REQUIRE(station.process.Running());

  // Space is freed; the dock's next resend must be stored within 5 s.
  std::filesystem::remove(filler);
  const auto freed = SteadyClock::now();
  Answer resumed = Answer::kNone;
  while (SteadyClock::now() - freed < 6s) {
    resumed = dock.Call(refused.front(), kRows, SeedOf(refused.front()), 15s, &ack);
    if (resumed == Answer::kStored) break;
    std::this_thread::sleep_for(100ms);
  }
  const auto resume_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - freed).count();
  REQUIRE(resumed == Answer::kStored);
  CHECK(resume_ms <= 5000);
  for (const std::string& batch : refused) {
    if (batch != refused.front()) REQUIRE(dock.Call(batch, kRows, SeedOf(batch), 15s) == Answer::kStored);
    acked.push_back(batch);
  }

  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
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
  PrintFigures(
      "disk full (16 MiB tmpfs, floor 4 MiB): acked=%zu retry-later (disk space low)=%zu storage failed (ENOSPC "
      "reached SQLite)=%d free when refusing=%lld KiB lost=%d resumed %lld ms after space was freed\n",
      acked.size(), refused.size(), storage_failed, static_cast<long long>(free_at_refusal / 1024), lost,
      static_cast<long long>(resume_ms));
  CHECK(lost == 0);
}

}  // namespace station::test
