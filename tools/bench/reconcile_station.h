#pragma once
// bench_reconcile's station phase: the same rows in a real station.db,
// reconciled by a real stationd through `stationctl reconcile` — first the
// full run a freshly started stationd makes, then incremental runs each
// after a dock of new scans (issue 4's "< 3 s" and "< 100 ms").

#include <cstdint>
#include <string>
#include <vector>

#include "reconcile/engine.h"
#include "core/status.h"

namespace station::bench {

struct StationPhaseInput {
  // The generated rows: manifest rows (waybill texts beside them) and the
  // waybills of parcel-level arrival scans, in the order they are stored.
  const std::vector<reconcile::ManifestItem>& manifest;
  const std::vector<std::string>& manifest_text;
  const std::vector<std::string>& seen_text;
  std::int64_t expected[reconcile::kKindCount] = {};  // what the full run must find
  std::string stationd, stationctl, dock;              // programs
  std::string dir;                                     // a fresh folder for the station
  int rounds = 3;                                      // incremental runs
  int new_scans = 10'000;                              // docked before each
  int timeout_s = 300;
};

struct StationPhaseFigures {
  double write_s = 0;          // writing station.db (not counted)
  double full_wall_s = 0;      // `stationctl reconcile`, the first run: process start to exit
  std::int64_t full_run_ms = 0;  // the same run as stationd timed it (reconcile_runs.total_ms)
  std::string full_detail;     // its read/engine/store split
  std::vector<double> incremental_wall_s;
  std::vector<std::int64_t> incremental_run_ms;
  std::string incremental_detail;  // of the last one: what it read and changed
};

// Writes the station, starts stationd, times the runs and checks each
// run's counts (kIOError naming the first that differs).
Result<StationPhaseFigures> MeasureStation(const StationPhaseInput& input);

}  // namespace station::bench
