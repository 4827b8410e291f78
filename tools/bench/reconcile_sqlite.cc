#include "tools/bench/reconcile_sqlite.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "sql/sqlite.h"
#include "tools/bench/bench_support.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rc = station::reconcile;

// The obvious layout: the manifest keyed by its waybill text (a rowid table
// and SQLite's automatic unique index), the scans keyed by their id with an
// index on waybill. ANALYZE runs after loading.
constexpr const char* kSchema =
    "CREATE TABLE manifest (waybill TEXT PRIMARY KEY, origin_station INTEGER NOT NULL, "
    "dest_station INTEGER NOT NULL, dispatched_at INTEGER NOT NULL, bag INTEGER NOT NULL);"
    "CREATE TABLE arrivals (scan_id INTEGER PRIMARY KEY, waybill TEXT NOT NULL, bag INTEGER NOT NULL, "
    "scan_type TEXT NOT NULL);";

// The query counting its rows, the cutoff written in.
std::string CountSql(const Query& query) {
  std::string sql = query.sql;
  const std::string cutoff = std::to_string(kNowMs - kDayMs);
  sql.replace(sql.find("?C"), 2, cutoff);
  return "SELECT count(*) FROM (" + sql + ")";
}

}  // namespace

Result<double> WriteDatabase(const Data& data, const std::string& path) {
  const SteadyClock::time_point start = SteadyClock::now();
  sql::OpenOptions options;
  options.synchronous = "OFF";  // a scratch file
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  if (Status s = db->Exec("PRAGMA cache_size = -1048576"); !s.ok()) return s;
  if (Status s = db->Exec(kSchema); !s.ok()) return s;
  {
    auto txn = sql::Txn::Begin(*db);
    if (!txn.ok()) return txn.status();
    auto insert = sql::Stmt::Prepare(*db,
                                     "INSERT INTO manifest (waybill, origin_station, dest_station, dispatched_at, bag) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return insert.status();
    for (std::size_t i = 0; i < data.manifest.size(); ++i) {
      const rc::ManifestItem& m = data.manifest[i];
      insert->Reset();
      insert->Bind(1, data.manifest_text[i])
          .Bind(2, std::int64_t{m.origin_station})
          .Bind(3, std::int64_t{m.dest_station})
          .Bind(4, m.dispatched_ms)
          .Bind(5, std::int64_t{m.bag});
      if (Status s = insert->Run(); !s.ok()) return s;
    }
    auto scan = sql::Stmt::Prepare(
        *db, "INSERT INTO arrivals (scan_id, waybill, bag, scan_type) VALUES (?1, ?2, ?3, 'arrival')");
    if (!scan.ok()) return scan.status();
    for (std::size_t i = 0; i < data.seen.size(); ++i) {
      scan->Reset();
      scan->Bind(1, data.seen[i].scan_id).Bind(2, data.seen_text[i]).Bind(3, std::int64_t{data.seen[i].bag});
      if (Status s = scan->Run(); !s.ok()) return s;
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
  }
  if (Status s = db->Exec("CREATE INDEX arrivals_waybill ON arrivals (waybill); ANALYZE"); !s.ok()) return s;
  return Seconds(SteadyClock::now() - start);
}

Result<std::string> QueryPlan(const std::string& path, const Query& query) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(path, read_only);
  if (!db.ok()) return db.status();
  const std::string sql = "EXPLAIN QUERY PLAN " + CountSql(query);
  auto plan = sql::Stmt::Prepare(*db, sql.c_str());
  if (!plan.ok()) return plan.status();
  std::string out;
  Status s = plan->ForEachRow([&](const sql::Stmt& row) { out += (out.empty() ? "" : "; ") + row.ColumnText(3); });
  if (!s.ok()) return s;
  return out;
}

Result<ShellRun> RunShell(const std::string& sqlite3, int timeout_s, const std::string& dir,
                          const std::string& db_path, int query_index) {
  const std::string script = dir + "/query" + std::to_string(query_index) + ".sql";
  const std::string out = dir + "/query" + std::to_string(query_index) + ".out";
  const std::string err = dir + "/query" + std::to_string(query_index) + ".err";
  {
    std::ofstream s(script, std::ios::trunc);
    s << "PRAGMA cache_size = -1048576;\n"
      << "PRAGMA temp_store = MEMORY;\n"
      // Warm-up: each table (sum(bag) is in no index) and each index (count(*) takes the smallest).
      << "SELECT sum(bag) FROM manifest;\nSELECT count(*) FROM manifest;\n"
      << "SELECT sum(bag) FROM arrivals;\nSELECT count(*) FROM arrivals;\n"
      << ".timer on\n"
      << CountSql(kQueries[query_index]) << ";\n";
    if (!s.flush()) return Status::IOError("write " + script);
  }
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  std::filesystem::remove(err, ignored);
  const SteadyClock::time_point start = SteadyClock::now();
  auto child = sim::ChildProcess::Start({sqlite3, "-batch", "-bail", db_path, ".read " + script}, out, err);
  if (!child.ok()) return child.status();
  const int code = child->Wait(std::chrono::seconds(timeout_s));
  ShellRun run;
  run.wall_s = Seconds(SteadyClock::now() - start);
  if (code == sim::ChildProcess::kTimedOut) {
    return Status::Unavailable(kQueries[query_index].name, "sqlite3 still running after " +
                                                               std::to_string(timeout_s) + " s");
  }
  if (code != 0) {
    return Status::IOError(kQueries[query_index].name, "sqlite3 exited with " + std::to_string(code) + "; see " + err);
  }
  // The query's count, then "Run Time: real 1.234 user 1.200000 sys 0.030000".
  std::ifstream in(out);
  std::string line, previous;
  bool timed = false;
  while (std::getline(in, line)) {
    double real = 0, user = 0, sys = 0;
    if (std::sscanf(line.c_str(), "Run Time: real %lf user %lf sys %lf", &real, &user, &sys) == 3) {
      run.real_s = real;
      run.cpu_s = user + sys;
      run.count = std::atoll(previous.c_str());
      timed = true;
    }
    previous = line;
  }
  if (!timed) return Status::IOError(kQueries[query_index].name, "no \"Run Time:\" line in " + out);
  return run;
}

}  // namespace station::bench
