#include "daemon/reconciler/reconciler.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace station {

Result<std::unique_ptr<Reconciler>> Reconciler::Start(const std::string& station_db,
                                                      const ReconcilerOptions& options, const std::string& vfs) {
  auto runner = ReconcileRunner::Make(options.settings);
  if (!runner.ok()) return runner.status();
  sql::OpenOptions open;
  open.create = false;
  open.vfs = vfs;
  // FULL, although discrepancies are derived: a run's commit also queues
  // digests for other stations, which the uplink may post at once; a power
  // cut must not undo a message that has already gone out.
  auto db = sql::Db::Open(station_db, open);
  if (!db.ok()) return db.status();
  std::unique_ptr<Reconciler> r(new Reconciler(std::move(*db), options, std::move(*runner)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

Reconciler::~Reconciler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t Reconciler::Request(const std::string& trigger) {
  std::int64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Asks made while one is waiting share it: one run answers them all.
    if (pending_trigger_.empty()) {
      pending_trigger_ = trigger;
      ++status_.requested;
    }
    ticket = status_.requested;
  }
  wake_.notify_all();
  return ticket;
}

ReconcilerStatus Reconciler::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Reconciler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  auto next_scheduled = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.every_ms);
  while (!stop_) {
    if (pending_trigger_.empty()) {
      if (options_.every_ms > 0) {
        wake_.wait_until(lock, next_scheduled, [&] { return stop_ || !pending_trigger_.empty(); });
        if (!stop_ && pending_trigger_.empty() && std::chrono::steady_clock::now() >= next_scheduled) {
          pending_trigger_ = "schedule";
          ++status_.requested;
        }
      } else {
        wake_.wait(lock, [&] { return stop_ || !pending_trigger_.empty(); });
      }
      continue;
    }
    const std::string trigger = std::move(pending_trigger_);
    pending_trigger_.clear();
    status_.running = true;
    lock.unlock();
    // Held for the run and its tidying: never beside a prune (retention.h).
    std::unique_lock<std::mutex> gate;
    if (options_.prune_gate) {
      gate = std::unique_lock<std::mutex>(options_.prune_gate->mutex());
      if (options_.prune_gate->TakeFullRun()) runner_->ReadEverythingNext();
    }
    Result<ReconcileRunSummary> result = Status::Unavailable("reconciliation", "did not run");
    try {
      result = runner_->Run(db_, trigger, NowMs());
    } catch (const std::exception& e) {  // e.g. out of memory: this run fails, stationd goes on
      result = Status::IOError("reconciliation", e.what());
    }
    if (result.ok()) {
      spdlog::info("reconciliation run={} trigger={} read={} read_scans={} read_manifest={} manifest={} arrived={}"
                   " missing={} missing_bags={} surplus={} misrouted={} duplicate_arrivals={} opened={} resolved={}"
                   " ms={} (engine {})",
                   result->run_id, trigger, result->full ? "full" : "incremental", result->scans_read,
                   result->manifest_read, result->manifest_to_station, result->arrived, result->found[0],
                   result->found[1], result->found[2], result->found[3], result->found[4], result->opened,
                   result->resolved, result->total_ms, result->engine_ms);
    } else {
      spdlog::error("reconciliation failed trigger={}: {}", trigger, result.status().ToString());
    }
    lock.lock();
    status_.running = false;
    ++status_.completed;
    if (result.ok()) {
      status_.last = *result;
      status_.last_error.clear();
    } else {
      status_.last_error = result.status().ToString();
    }
    next_scheduled = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.every_ms);
    // After the clerk has the answer.
    lock.unlock();
    if (station::Status tidy = runner_->Tidy(db_); !tidy.ok()) {
      spdlog::warn("reconciliation: dropping applied manifest changes failed: {}", tidy.ToString());
    }
    if (gate.owns_lock()) gate.unlock();
    lock.lock();
  }
}

}  // namespace station
