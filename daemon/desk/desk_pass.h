#pragma once
// One pass of the problem desk, in one transaction: problem messages from
// the inbox are applied, new problem scans open or add to cases, scans
// that carry an answer out close them, alerts of new cases go out, late
// cases are escalated. Cursors in problem_desk make each scan and each
// message count once (schema migration 6).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/desk/lazy_stmt.h"
#include "daemon/desk/problem_store.h"
#include "sql/sqlite.h"

namespace station {

// What one pass did.
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

// The desk's passes on one connection, its statements (and its
// ProblemStore's) prepared once. Not thread-safe, as the connection is not.
class DeskPasses {
 public:
  DeskPasses(sql::Db& db, ProblemSettings settings) : db_(db), store_(db, std::move(settings)) {}

  // One pass at `now_ms`. A pass that finds nothing to do takes no write
  // lock. On failure the pass's transaction is rolled back whole.
  Result<DeskPass> Run(std::int64_t now_ms, const DeskPassLimits& limits = {});

 private:
  // Where the desk stands: the last scan and inbox message it looked at.
  struct Cursors {
    std::int64_t scans_upto = 0, inbox_upto = 0;
  };
  // Parcels of new problem scans picked up here: their pickup weight.
  using Pickups = std::map<std::string, std::optional<std::int64_t>>;

  Result<bool> AnythingToDo(std::int64_t now_ms);
  Result<Pickups> PickupsHere();
  Result<Cursors> ReadCursors();
  Status ApplyMail(std::int64_t now_ms, Cursors& cursors, DeskPass& pass);
  Result<std::vector<ProblemScan>> ReadScans(const Cursors& cursors, std::int64_t newest, std::int64_t limit,
                                             const Pickups& pickups);
  Status TakeScans(std::int64_t now_ms, const DeskPassLimits& limits, std::chrono::steady_clock::time_point started,
                   const Pickups& pickups, Cursors& cursors, DeskPass& pass);
  Status SaveCursors(const Cursors& cursors);

  sql::Db& db_;
  ProblemStore store_;
  LazyStmt anything_, unmanifested_, pickups_, cursors_, newest_, mail_, scans_, save_;
};

// One pass on `db` with statements prepared for it alone.
Result<DeskPass> RunDeskPass(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms,
                             const DeskPassLimits& limits = {});

}  // namespace station
