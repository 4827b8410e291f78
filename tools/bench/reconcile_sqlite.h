#pragma once
// bench_reconcile's baseline: the same rows in a SQLite file with the obvious
// indexed layout, and the sqlite3 shell run as a child for each of three ways
// to ask for the missing parcels, each timed by the shell itself.

#include <cstdint>
#include <string>

#include "core/status.h"
#include "tools/bench/reconcile_data.h"

namespace station::bench {

// The layout, as the benchmark prints it.
inline constexpr const char* kLayout =
    "manifest(waybill TEXT PRIMARY KEY, origin_station, dest_station, dispatched_at, bag): rowid table + "
    "its automatic unique index on waybill; arrivals(scan_id INTEGER PRIMARY KEY, waybill, bag, scan_type) + "
    "INDEX arrivals_waybill ON arrivals(waybill); ANALYZE";

struct Query {
  const char* name;
  const char* sql;  // ?C: the grace cutoff (now - 24 h, in ms)
};

// The waybills manifested to 571001, past the grace period, with no arrival.
inline constexpr Query kQueries[] = {
    {"EXCEPT",
     "SELECT waybill FROM manifest WHERE dest_station = 571001 AND dispatched_at <= ?C "
     "EXCEPT SELECT waybill FROM arrivals"},
    {"LEFT JOIN ... IS NULL",
     "SELECT m.waybill FROM manifest m LEFT JOIN arrivals a ON a.waybill = m.waybill "
     "WHERE m.dest_station = 571001 AND m.dispatched_at <= ?C AND a.waybill IS NULL"},
    {"NOT EXISTS",
     "SELECT m.waybill FROM manifest m WHERE m.dest_station = 571001 AND m.dispatched_at <= ?C "
     "AND NOT EXISTS (SELECT 1 FROM arrivals a WHERE a.waybill = m.waybill)"},
};
inline constexpr int kQueryCount = sizeof kQueries / sizeof kQueries[0];

// Writes the rows into a fresh `path` and returns the seconds it took.
Result<double> WriteDatabase(const Data& data, const std::string& path);

// How SQLite plans `query`, as one line ("SCAN m; SEARCH a USING ...").
Result<std::string> QueryPlan(const std::string& path, const Query& query);

struct ShellRun {
  double real_s = 0;  // `.timer on`: the query alone
  double cpu_s = 0;   // user + sys of the query
  double wall_s = 0;  // the whole sqlite3 process: start, warm-up, query
  std::int64_t count = -1;
};

// Runs the sqlite3 shell `sqlite3` over `db_path` with a script that warms
// the page cache, then runs kQueries[query_index] timed; kUnavailable when
// it runs longer than `timeout_s`. The script and its output live in `dir`.
Result<ShellRun> RunShell(const std::string& sqlite3, int timeout_s, const std::string& dir,
                          const std::string& db_path, int query_index);

}  // namespace station::bench
