#pragma once
// stationd's problem desk (issue 5): a thread with its own connection that
// runs a pass (desk_pass.h) every tick, and soon after it is woken.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "daemon/desk/desk_pass.h"
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
                                           : std::unique_ptr<Clock>(new FileClock(options_.clock_file))),
        passes_(db_, options_.settings) {}
  void Run();

  sql::Db db_;
  const ProblemDeskOptions options_;
  const std::unique_ptr<const Clock> clock_;
  DeskPasses passes_;  // on db_, used by the thread only
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace station
