// RELIABILITY.md T15: WAL hygiene. Many small batches go in, a few at a
// time in flight (group commits), while a reader of the test's own holds a
// read transaction open for part of the run: the WAL may grow meanwhile.
// After the reader ends the WAL must come back to at most 64 MiB
// (journal_size_limit), `PRAGMA wal_checkpoint(TRUNCATE)` must succeed within
// 1 s once the daemon is idle, and no SQLITE_BUSY ("database is locked")
// may reach a dock: every reply is "stored".
//
// CI size: 10,000 batches (more while the reader is open and for a second
// after it) within 15 s, the reader open for 4 s from a quarter in. STATION_WAL_BATCHES=100000 STATION_WAL_READER_S=60 STATION_WAL_SECONDS=600
// is RELIABILITY's full size.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <thread>
#include <string>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "daemon/storage/run_file.h"
#include "tests/faults/fault_support.h"
#include "tests/support/asan.h"
#include "tests/support/figures.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

namespace station::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kJournalSizeLimit = 64LL << 20;

std::int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

}  // namespace

TEST_CASE("T15: the WAL returns to its limit after a long reader, and checkpoints succeed when idle",
          "[integration][faults]") {
  constexpr int kRows = 5;
  constexpr int kWindow = 16;
  const std::int64_t total = EnvNumber("STATION_WAL_BATCHES", 10'000);
  const auto reader_for = std::chrono::seconds(EnvNumber("STATION_WAL_READER_S", 4));
  const auto budget = std::chrono::seconds(EnvNumber("STATION_WAL_SECONDS", kUnderAsan ? 30 : 15));
  TempDir dir;
  const std::string data_dir = dir.Path("data");
  const std::string log = dir.Path("stationd.log");
  INFO("stationd log: " << log << " (STATION_KEEP_TEST_DIRS=1 keeps it)");
  zmq::context_t context(1);
  RunningStation station = StartStationd(data_dir, kFaultStation, log);
  RawDock dock(context, station.endpoint);
  const std::string wal = DatabasePath(data_dir) + "-wal";
  sql::Db reader = OpenTestConnection(data_dir);

  std::int64_t sent = 0, stored = 0, busy = 0, other = 0;
  std::int64_t wal_peak = 0, wal_peak_with_reader = 0;
  std::optional<SteadyClock::time_point> reader_since;
  bool reader_done = false;
  std::string first_other;
  const auto started = SteadyClock::now();
  const auto deadline = started + budget;
  std::int64_t in_flight = 0;
  SteadyClock::time_point reader_ended{};
  // Past `total` while the reader is open and for a second after it, so
  // that the daemon writes (and checkpoints) behind a reader and after it.
  auto more = [&] {
    if (SteadyClock::now() >= deadline) return false;
    return sent < total || !reader_done || SteadyClock::now() - reader_ended < 1s;
  };
  while (more() || in_flight > 0) {
    while (in_flight < kWindow && more()) {
      const std::string batch = "w" + std::to_string(++sent);
      dock.Send(batch, kRows, static_cast<std::uint64_t>(sent));
      ++in_flight;
    }
    auto ack = dock.Receive(15s);
    REQUIRE(ack.has_value());  // no hang
    --in_flight;
    if (Classify(*ack, kRows) == Answer::kStored) {
      ++stored;
    } else if (ack->error.find("locked") != std::string::npos || ack->error.find("busy") != std::string::npos) {
      ++busy;
      if (first_other.empty()) first_other = ack->error;
    } else {
      ++other;
      if (first_other.empty()) first_other = ack->code + " " + ack->error;
    }
    // The reader: from a quarter of the run, for reader_for.
    const bool quarter = sent >= total / 4 || SteadyClock::now() - started >= budget / 4;
    if (!reader_since && !reader_done && quarter) {
      REQUIRE(reader.Exec("BEGIN").ok());
      REQUIRE(reader.QueryInt("SELECT count(*) FROM scans").ok());  // the snapshot is taken
      reader_since = SteadyClock::now();
    }
    if (reader_since && SteadyClock::now() - *reader_since >= reader_for) {
      REQUIRE(reader.Exec("COMMIT").ok());
      reader_since.reset();
      reader_done = true;
      reader_ended = SteadyClock::now();
    }
    if ((stored + busy + other) % 64 == 0) {
      const std::int64_t size = FileSize(wal);
      wal_peak = std::max(wal_peak, size);
      if (reader_since) wal_peak_with_reader = std::max(wal_peak_with_reader, size);
    }
  }
  if (reader_since) REQUIRE(reader.Exec("COMMIT").ok());  // a short run: the reader ends with it
  const double run_s = std::chrono::duration<double>(SteadyClock::now() - started).count();

  // Idle now: the daemon's own checkpoints run twice a second.
  std::this_thread::sleep_for(1500ms);
  const std::int64_t wal_after = FileSize(wal);
  const auto ckpt_started = SteadyClock::now();
  auto ckpt = sql::Stmt::Prepare(reader, "PRAGMA wal_checkpoint(TRUNCATE)");
  REQUIRE(ckpt.ok());
  auto row = ckpt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  const std::int64_t ckpt_busy = ckpt->ColumnInt(0);
  ckpt->Reset();
  const auto ckpt_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - ckpt_started).count();
  const std::int64_t wal_truncated = FileSize(wal);

  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
  const std::int64_t in_db = CountScans(data_dir, "device = 'PDA-0001'");
  PrintFigures(
      "WAL hygiene: batches sent=%lld stored=%lld busy/locked answers=%lld other answers=%lld in %.1f s; reader open "
      "%lld s; WAL peak=%lld KiB (with the reader open %lld KiB), %lld KiB once idle; checkpoint(TRUNCATE) busy=%lld "
      "in %lld ms, WAL then %lld bytes; scans in db=%lld%s%s\n",
      static_cast<long long>(sent), static_cast<long long>(stored), static_cast<long long>(busy),
      static_cast<long long>(other), run_s, static_cast<long long>(reader_for.count()),
      static_cast<long long>(wal_peak / 1024), static_cast<long long>(wal_peak_with_reader / 1024),
      static_cast<long long>(wal_after / 1024), static_cast<long long>(ckpt_busy), static_cast<long long>(ckpt_ms),
      static_cast<long long>(wal_truncated), static_cast<long long>(in_db), first_other.empty() ? "" : "; first: ",
      first_other.c_str());
  CHECK(reader_done);
  CHECK(busy == 0);
  CHECK(other == 0);
  CHECK(stored == sent);
  CHECK(in_db == stored * kRows);
  CHECK(wal_after <= kJournalSizeLimit);
  CHECK(ckpt_busy == 0);
  CHECK(ckpt_ms < 1000);
  CHECK(wal_truncated == 0);
}

}  // namespace station::test
