#include "daemon/desk/problem_desk.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

namespace station {

Result<std::unique_ptr<ProblemDesk>> ProblemDesk::Start(const std::string& station_db, const ProblemDeskOptions& options,
                                                        const std::string& vfs) {
  sql::OpenOptions open;
  open.create = false;
  open.vfs = vfs;
  auto db = sql::Db::Open(station_db, open);
  if (!db.ok()) return db.status();
  std::unique_ptr<ProblemDesk> desk(new ProblemDesk(std::move(*db), options));
  desk->thread_ = std::thread([d = desk.get()] { d->Run(); });
  return desk;
}

ProblemDesk::~ProblemDesk() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProblemDesk::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void ProblemDesk::Run() {
  // Every commit of scans wakes the desk, but a pass takes the write lock
  // the docks' commits need (and syncs a commit of its own): passes start
  // at least kGap apart, a few a second on a busy day rather than one a
  // commit. After a pass that stopped at its limit, the gap is when the
  // waiting commits get the lock, before the next pass goes on.
  constexpr auto kGap = std::chrono::milliseconds(100);
  const auto tick = std::chrono::milliseconds(options_.tick_ms);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    woken_ = false;
    lock.unlock();
    bool more = false;
    try {
      auto pass = passes_.Run(clock_->NowMs());
      if (!pass.ok()) spdlog::error("problem desk pass failed: {}", pass.status().ToString());
      more = pass.ok() && pass->more;
    } catch (const std::exception& e) {  // out of memory, say: the next tick tries again
      spdlog::error("problem desk pass failed: {}", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, std::min(kGap, tick), [&] { return stop_; });
    if (!more && tick > kGap) wake_.wait_for(lock, tick - kGap, [&] { return stop_ || woken_; });
  }
}

}  // namespace station
