#pragma once
// bench_ingest's two ways of storing the same gun files, each measured on
// its own: a naive loader (prepared inserts with stationd's durability) and
// the whole dock path (real scanner-dock processes to a real stationd).

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "tools/bench/bench_support.h"

namespace station::bench {

struct IngestConfig {
  std::string stationd = BENCH_STATIOND_PATH;
  std::string dock = BENCH_SCANNER_DOCK_PATH;
  int guns = 4;
  int files = 50;             // per gun
  int rows = 1000;            // per file
  int part_rows = 1000;       // rows a transaction in the loader, a message from the dock
  int rounds = 3;             // of measurements 1 and 2
  int latency_batches = 200;  // per gun
  int latency_scans = 500;
  int timeout_s = 120;  // for each dock-path round
  bool insecure_only = false;  // --insecure: the dock path without CURVE only, as before issue 6
  bool keep = false;
};

// "curve" or "insecure": a link's name in folder names and messages.
const char* LinkName(Link link);

// The device of gun g (0-based): the device= of its files, the name its key
// is enrolled under.
std::string Device(int g);

// ---- 1. The naive loader -------------------------------------------------

struct BaselineFigures {
  double parse_s = 0;
  double insert_s = 0;
  std::int64_t rows = 0;
};

// Parses `files` (not counted), then stores their rows into a fresh
// database in `dir`, config.part_rows rows a transaction.
Result<BaselineFigures> MeasureBaseline(const IngestConfig& config, const std::vector<std::string>& files,
                                        const std::string& dir);

// ---- 2. The whole dock path ----------------------------------------------

struct DockFigures {
  double seconds = 0;          // until every scan is acknowledged (the ack path)
  double indexed_seconds = 0;  // until the waybill index has caught up too
  std::int64_t rows = 0;
};

// Docks each gun's `files` (one list a gun) at a fresh stationd in `dir`,
// one scanner-dock a gun, all at once, over `link`.
Result<DockFigures> MeasureDockPath(const IngestConfig& config, const std::vector<std::vector<std::string>>& files,
                                    const std::string& dir, Link link);

}  // namespace station::bench
