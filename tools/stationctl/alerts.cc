#include "tools/stationctl/alerts.h"

#include <iostream>
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

}  // namespace

int CmdAlerts(const CtlOptions& options) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(DatabasePath(options.data_dir), read_only);
  if (!db.ok()) {
    std::cerr << "stationctl: " << db.status().ToString() << "\n";
    return 1;
  }
  auto stmt = sql::Stmt::Prepare(*db,
                                 "SELECT seq, from_station, body, received_ms FROM inbox"
                                 " WHERE kind = 'missing_digest' ORDER BY seq DESC");
  if (!stmt.ok()) {
    std::cerr << "stationctl: " << stmt.status().ToString() << "\n";
    return 1;
  }
  std::vector<AlertLine> lines;
  std::size_t unreadable = 0;
  Status s = stmt->ForEachRow([&](const sql::Stmt& row) {
    // Another station wrote this: a message of the wrong shape is counted
    // and skipped, never allowed to hide the others.
    json body = json::parse(row.ColumnView(2), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      ++unreadable;
      return;
    }
    std::vector<AlertLine> these;
    try {
      for (const char* list : {"missing", "resolved"}) {
        for (const json& item : body.value(list, json::array())) {
          if (!item.is_object()) throw std::runtime_error("an item is not an object");
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
      ++unreadable;
      return;
    }
    lines.insert(lines.end(), these.begin(), these.end());
  });
  if (!s.ok()) {
    std::cerr << "stationctl: " << s.ToString() << "\n";
    return 1;
  }
  auto problem_alerts = ReadProblemAlerts(options.data_dir);
  if (!problem_alerts.ok()) {
    std::cerr << "stationctl: " << problem_alerts.status().ToString() << "\n";
    return 1;
  }
  std::vector<ProblemAlertLine>& problems = problem_alerts->lines;
  // --limit caps each kind on its own, so problems waiting for an answer
  // are never crowded out by digest lines.
  const std::size_t total = lines.size(), problems_total = problems.size();
  if (options.limit > 0 && lines.size() > options.limit) lines.resize(options.limit);
  if (options.limit > 0 && problems.size() > options.limit) problems.resize(options.limit);
  if (options.json) {
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
    return 0;
  }
  // Worded as `discrepancies --limit` words it; here 0 means no limit.
  const auto left_out = [](std::size_t shown, std::size_t of) {
    if (shown < of) {
      std::cout << "(newest " << shown << " of " << of << " shown; --limit N for more, --limit 0 for all)\n";
    }
  };
  if (lines.empty() && problems.empty()) std::cout << "No alerts from other stations.\n";
  if (!problems.empty()) {
    std::cout << "Problem parcels this station shipped, as the stations holding them report them"
                 " (waiting for an answer first):\n";
    PrintProblemAlerts(problems, std::cout);
    left_out(problems.size(), problems_total);
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
    left_out(lines.size(), total);
  }
  if (unreadable > 0) std::cerr << "stationctl: " << unreadable << " message(s) in the inbox could not be read\n";
  if (problem_alerts->unreadable > 0) {
    std::cerr << "stationctl: " << problem_alerts->unreadable << " problem alert(s) could not be read in full\n";
  }
  return 0;
}

}  // namespace station
