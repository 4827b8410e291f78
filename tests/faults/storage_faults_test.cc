// RELIABILITY.md T3 (I/O errors) and T5 (out of memory, first part): a
// stationd whose writer's SQLite I/O or allocations fail, the Nth operation
// of a batch commit for N = 1, 2, ... until a commit gets through untouched,
// once or from the Nth on ("forever").
//
// After each reply the test checks it against the database through its own
// connection: a batch answered "stored" must be there, whole, at once. A
// batch answered "retry later" is sent again once the fault is cleared, as a
// dock does, and must then be stored (or found a duplicate: a commit whose
// sync failed may still have reached the file; RELIABILITY.md §4 says never
// to assume either way). The daemon must answer every batch (no hang), keep
// running, and at the end stop cleanly with every acknowledged batch in a
// database that passes integrity_check.
//
// STATION_FAULT_MAX_N (default 120 for I/O, 600 for allocations) bounds N.

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "daemon/storage/run_file.h"
#include "tests/faults/fault_injection.h"
#include "tests/faults/fault_support.h"
#include "tests/support/asan.h"
#include "tests/support/figures.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

namespace station::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kRows = 20;
constexpr auto kReplyTimeout = 15s;

struct LoopFigures {
  int runs = 0;                  // values of N tried
  int faults = 0;                // faults injected
  int acked = 0;                 // batches answered "stored"
  int stored_checked = 0;        // of those, found whole in the database at once
  int retry_later = 0;           // "retry later" answers
  int persisted_anyway = 0;      // answered "retry later", yet found stored
  int resend_duplicates = 0;     // resends answered with duplicates
  int lost = 0;                  // acked, not in the database at the end
  int other_answers = 0;         // neither stored nor retry later
  int ops_in_commit = 0;         // the N at which a commit went through untouched
  bool completed = false;
};

std::uint64_t SeedOf(const std::string& batch) { return std::hash<std::string>{}(batch); }

// Runs the loop for one kind and mode against a fresh stationd-faults.
LoopFigures RunFaultLoop(FaultKind kind, bool forever, int max_n, std::chrono::seconds budget) {
  TempDir dir;
  const std::string data_dir = dir.Path("data");
  const std::string log = dir.Path("stationd.log");
  const std::string label = std::string(FaultKindName(kind)) + (forever ? " forever" : " once");
  INFO(label << "; stationd log: " << log << " (STATION_KEEP_TEST_DIRS=1 keeps it)");
  ScopedEnv env(kFaultControlEnv, dir.Path("faults.ctl"));
  FaultControl faults(dir.Path("faults.ctl"));
  faults.Clear();

  LoopFigures f;
  std::vector<std::string> acked;
  zmq::context_t context(1);
  RunningStation station = StartStationd(data_dir, kFaultStation, log, STATIOND_FAULTS_PATH);
  RawDock dock(context, station.endpoint);
  sql::Db db = OpenTestConnection(data_dir);

  // Stores `batch`, checking the answer against the database at once.
  auto expect_stored_now = [&](const std::string& batch, Answer answer) {
    REQUIRE(answer == Answer::kStored);
    acked.push_back(batch);
    ++f.acked;
    REQUIRE(StoredRows(db, batch) == kRows);  // no "stored" without the commit
    ++f.stored_checked;
  };

  // A warm-up batch: the schema is read and the WAL exists, as in service.
  expect_stored_now("warmup", dock.Call("warmup", kRows, SeedOf("warmup"), kReplyTimeout));

  const auto deadline = SteadyClock::now() + budget;
  for (int n = 1; n <= max_n && SteadyClock::now() < deadline; ++n) {
    ++f.runs;
    const std::string batch = "n" + std::to_string(n);
    faults.Arm({kind, forever, n});
    const int before = faults.Injected();
    BatchAck ack;
    const Answer answer = dock.Call(batch, kRows, SeedOf(batch), kReplyTimeout, &ack);
    INFO("N=" << n << " answer: " << AnswerName(answer) << " " << ack.code << " " << ack.error);
    REQUIRE(answer != Answer::kNone);  // no hang
    REQUIRE(station.process.Running());  // no crash
    const bool fired = faults.Injected() > before;
    std::vector<std::string> to_resend;
    if (!fired) {
      // N is past the last operation of the commit: the whole of it was covered.
      expect_stored_now(batch, answer);
      f.ops_in_commit = n - 1;
      f.completed = true;
      break;
    }
    if (answer == Answer::kStored) {
      // SQLite absorbed the fault (a failure it can work around): then the
      // rows must be there.
      expect_stored_now(batch, answer);
    } else if (answer == Answer::kRetryLater) {
      ++f.retry_later;
      if (StoredRows(db, batch) == kRows) ++f.persisted_anyway;
      to_resend.push_back(batch);
    } else {
      ++f.other_answers;
      FAIL_CHECK("neither stored nor retry later: " << ack.code << " " << ack.error);
      to_resend.push_back(batch);
    }
    if (forever) {
      // Still failing: the next batch is refused too, and answered.
      const std::string next = batch + "b";
      const Answer again = dock.Call(next, kRows, SeedOf(next), kReplyTimeout, &ack);
      INFO("while failing: " << AnswerName(again) << " " << ack.error);
      REQUIRE(again != Answer::kNone);
      REQUIRE(station.process.Running());
      if (again == Answer::kStored) {
        expect_stored_now(next, again);
      } else {
        CHECK(again == Answer::kRetryLater);
        ++(again == Answer::kRetryLater ? f.retry_later : f.other_answers);
        to_resend.push_back(next);
      }
    }
    faults.Clear();
    // The dock's resend, once the fault is gone: stored without a restart.
    for (const std::string& b : to_resend) {
      const Answer resend = dock.Call(b, kRows, SeedOf(b), kReplyTimeout, &ack);
      INFO("resend of " << b << ": " << AnswerName(resend) << " " << ack.error);
      expect_stored_now(b, resend);
      if (ack.duplicates > 0) ++f.resend_duplicates;
    }
  }
  f.faults = faults.Injected();

  // A clean stop, then every acknowledged batch must be there.
  station.process.Signal(SIGTERM);
  CHECK(station.process.Wait(10s) == 0);
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto check = sql::Db::Open(DatabasePath(data_dir), read_only);
  REQUIRE(check.ok());
  auto integrity = check->QueryText("PRAGMA integrity_check");
  REQUIRE(integrity.ok());
  CHECK(*integrity == "ok");
  for (const std::string& b : acked) {
    if (StoredRows(*check, b) != kRows) ++f.lost;
  }
  PrintFigures(
      "storage faults, %s: N tried=%d faults injected=%d acked=%d (each found stored at once: %d) "
      "retry-later answers=%d committed anyway=%d resends found duplicate=%d other answers=%d lost=%d "
      "operations in one commit=%d%s\n",
      label.c_str(), f.runs, f.faults, f.acked, f.stored_checked, f.retry_later, f.persisted_anyway,
      f.resend_duplicates, f.other_answers, f.lost, f.ops_in_commit, f.completed ? "" : " (bound reached first)");
  return f;
}

int MaxN(std::int64_t fallback) { return static_cast<int>(EnvNumber("STATION_FAULT_MAX_N", fallback)); }

// Under ASan at -O0 every commit is several times slower: the same loop
// in a longer time budget.
std::chrono::seconds Budget() { return kUnderAsan ? 60s : 20s; }

}  // namespace

TEST_CASE("T3: a failed I/O operation during a commit is never acknowledged, and work resumes", "[integration][faults]") {
  for (FaultKind kind : {FaultKind::kIoError, FaultKind::kDiskFull}) {
    for (bool forever : {false, true}) {
      LoopFigures f = RunFaultLoop(kind, forever, MaxN(120), Budget());
      CHECK(f.faults > 0);
      CHECK(f.retry_later > 0);
      CHECK(f.lost == 0);
      CHECK(f.other_answers == 0);
      // Every operation of one commit was failed in turn.
      CHECK(f.completed);
    }
  }
}

TEST_CASE("T5: a failed allocation during a commit is never acknowledged, and work resumes", "[integration][faults]") {
  for (bool forever : {false, true}) {
    LoopFigures f = RunFaultLoop(FaultKind::kNoMemory, forever, MaxN(600), Budget());
    CHECK(f.faults > 0);
    CHECK(f.retry_later > 0);
    CHECK(f.lost == 0);
    CHECK(f.other_answers == 0);
    CHECK(f.completed);
  }
}

}  // namespace station::test
