#pragma once
// stationd's problem desk (issue 5): a thread with its own connection that,
// every tick, in one transaction: opens or adds to cases for new problem
// scans, closes answered cases whose resolution a new scan carries out,
// applies problem messages from the inbox (alerts from other stations,
// answers to ours), sends the alerts of new cases, escalates late ones.
// Cursors in problem_desk make each scan and each message count once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "daemon/desk/problem_store.h"
#include "sql/sqlite.h"

namespace station {

struct ProblemDeskOptions {
  ProblemSettings settings;  // settings.station is taken from the ingest settings
  std::int64_t tick_ms = 500;
  // The desk's time is the system clock, unless this names a clock file
  // (core/clock.h FileClock: tests move time on so deadlines pass).
  std::string clock_file;
};

// One pass of the desk at `now_ms` (its own transaction on `db`).
struct DeskPass {
  int opened_or_added = 0, closed = 0, messages = 0, alerts_sent = 0, escalated = 0;
  bool more = false;  // it stopped at its limit of scans: more are waiting
};
// How much one pass takes on, since it holds the write lock the docks'
// commits wait for: at most `scans` scans, and no new scan once `budget`
// has gone by (at least one scan a pass, so a backlog always moves).
struct DeskPassLimits {
  std::int64_t scans = 256;
  std::chrono::milliseconds budget{5};
};
Result<DeskPass> RunDeskPass(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms,
                             const DeskPassLimits& limits = {});

class ProblemDesk {
 public:
  static Result<std::unique_ptr<ProblemDesk>> Start(const std::string& station_db, const ProblemDeskOptions& options,
                                                    const std::string& vfs = "");
  ~ProblemDesk();  // finishes a pass under way, then stops

  // A pass soon (after a commit of scans or mail), not only at the next tick.
  void Wake();
  const Clock& clock() const { return *clock_; }

 private:
  ProblemDesk(sql::Db db, ProblemDeskOptions options)
      : db_(std::move(db)),
        options_(std::move(options)),
        clock_(options_.clock_file.empty() ? std::unique_ptr<Clock>(new SystemClock)
                                           : std::unique_ptr<Clock>(new FileClock(options_.clock_file))) {}
  void Run();

  sql::Db db_;
  const ProblemDeskOptions options_;
  const std::unique_ptr<const Clock> clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace station
