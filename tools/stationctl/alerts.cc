#include "tools/stationctl/alerts.h"

#include <iostream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "tools/stationctl/problem_alerts.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using nlohmann::json;

// One line of a digest as the clerk reads it.
struct AlertLine {
  std::int64_t seq = 0, received_ms = 0;
  std::string from, status, waybill, bag;
  std::int64_t run = 0, dispatched_ms = 0, parcels = 0;
};

std::string StatusOf(const json& item, bool resolved) {
  const std::string kind = item.value("kind", std::string());
  if (resolved) return kind == "missing_bag" ? "bag arrived late 整袋补到" : "arrived late 已补到";
  if (kind == "missing_bag") return "whole bag missing 整袋未到";
  return item.value("whole_bag_missing", false) ? "missing, bag too 有发无到(整袋)" : "missing 有发无到";
}

// The digest lines of one inbox message, or nullopt when another station
// sent one of the wrong shape: counted and skipped, never allowed to hide
// the others.
std::optional<std::vector<AlertLine>> DigestLines(const sql::Stmt& row) {
  json body = json::parse(row.ColumnView(2), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  std::vector<AlertLine> these;
  try {
    for (const char* list : {"missing", "resolved"}) {
      for (const json& item : body.value(list, json::array())) {
        if (!item.is_object()) return std::nullopt;
        AlertLine a;
        a.seq = row.ColumnInt(0);
        a.from = row.ColumnText(1);
        a.received_ms = row.ColumnInt(3);
        a.run = body.value("run", std::int64_t{0});
        a.status = StatusOf(item, list[0] == 'r');
        a.waybill = item.value("waybill", std::string());
        a.bag = item.value("bag", std::string());
        a.dispatched_ms = item.value("dispatched_ms", std::int64_t{0});
        a.parcels = item.value("parcels", std::int64_t{0});
        these.push_back(std::move(a));
      }
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return these;
}

// The reconciliation digests other stations sent, newest first.
struct Digests {
  std::vector<AlertLine> lines;
  std::size_t unreadable = 0;  // messages that could not be read
};

Result<Digests> ReadDigests(const std::string& data_dir) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), read_only);
  if (!db.ok()) return db.status();
  auto stmt = sql::Stmt::Prepare(*db,
                                 "SELECT seq, from_station, body, received_ms FROM inbox"
                                 " WHERE kind = 'missing_digest' ORDER BY seq DESC");
  if (!stmt.ok()) return stmt.status();
  Digests digests;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    auto these = DigestLines(row);
    if (!these) {
      ++digests.unreadable;
      return;
    }
    digests.lines.insert(digests.lines.end(), these->begin(), these->end());
  });
  if (!s.ok()) return s;
  return digests;
}

void PrintJson(const std::vector<ProblemAlertLine>& problems, const std::vector<AlertLine>& lines) {
  json out = json::array();
  for (const ProblemAlertLine& p : problems) out.push_back(ProblemAlertJson(p));
  for (const AlertLine& a : lines) {
    out.push_back({{"kind", "missing_digest"},
                   {"inbox_seq", a.seq},
                   {"from", a.from},
                   {"received_ms", a.received_ms},
                   {"run", a.run},
                   {"status", a.status},
                   {"waybill", a.waybill},
                   {"bag", a.bag},
                   {"dispatched_ms", a.dispatched_ms},
                   {"parcels", a.parcels}});
  }
  std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

// Worded as `discrepancies --limit` words it; here 0 means no limit.
void SayLeftOut(std::size_t shown, std::size_t of) {
  if (shown < of) {
    std::cout << "(newest " << shown << " of " << of << " shown; --limit N for more, --limit 0 for all)\n";
  }
}

// The clerk's tables: problem alerts first (they wait for an answer), then
// the digest lines; `*_total`: how many there were before --limit.
void PrintText(const std::vector<ProblemAlertLine>& problems, std::size_t problems_total,
               const std::vector<AlertLine>& lines, std::size_t lines_total) {
  if (lines.empty() && problems.empty()) std::cout << "No alerts from other stations.\n";
  if (!problems.empty()) {
    std::cout << "Problem parcels this station shipped, as the stations holding them report them"
                 " (waiting for an answer first):\n";
    PrintProblemAlerts(problems, std::cout);
    SayLeftOut(problems.size(), problems_total);
    if (!lines.empty()) std::cout << "\n";
  }
  if (!lines.empty()) {
    std::cout << "Parcels this station shipped, as their destinations report them (newest first):\n";
    Table table({"received", "from", "status", "waybill", "bag", "dispatched"});
    for (const AlertLine& a : lines) {
      table.AddRow({LocalTime(a.received_ms), a.from, a.status,
                    a.waybill.empty() ? "(" + std::to_string(a.parcels) + " parcels)" : a.waybill, a.bag,
                    LocalTime(a.dispatched_ms)});
    }
    table.Print(std::cout);
    SayLeftOut(lines.size(), lines_total);
  }
}

}  // namespace

int CmdAlerts(const CtlOptions& options) {
  auto digests = ReadDigests(options.data_dir);
  if (!digests.ok()) return Fail(digests.status());
  auto problem_alerts = ReadProblemAlerts(options.data_dir);
  if (!problem_alerts.ok()) return Fail(problem_alerts.status());
  std::vector<AlertLine>& lines = digests->lines;
  std::vector<ProblemAlertLine>& problems = problem_alerts->lines;
  // --limit caps each kind on its own, so problems waiting for an answer
  // are never crowded out by digest lines.
  const std::size_t total = lines.size(), problems_total = problems.size();
  if (options.limit > 0 && lines.size() > options.limit) lines.resize(options.limit);
  if (options.limit > 0 && problems.size() > options.limit) problems.resize(options.limit);
  if (options.json) {
    PrintJson(problems, lines);
    return 0;
  }
  PrintText(problems, problems_total, lines, total);
  if (digests->unreadable > 0) {
    std::cerr << "stationctl: " << digests->unreadable << " message(s) in the inbox could not be read\n";
  }
  if (problem_alerts->unreadable > 0) {
    std::cerr << "stationctl: " << problem_alerts->unreadable << " problem alert(s) could not be read in full\n";
  }
  return 0;
}

}  // namespace station
