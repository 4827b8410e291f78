#include "tools/stationctl/alerts.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon/run_file.h"
#include "daemon/sqlite.h"
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
  const std::size_t total = lines.size();
  if (options.limit > 0 && lines.size() > options.limit) lines.resize(options.limit);
  if (options.json) {
    json out = json::array();
    for (const AlertLine& a : lines) {
      out.push_back({{"inbox_seq", a.seq},
                     {"from", a.from},
                     {"received_ms", a.received_ms},
                     {"run", a.run},
                     {"status", a.status},
                     {"waybill", a.waybill},
                     {"bag", a.bag},
                     {"dispatched_ms", a.dispatched_ms},
                     {"parcels", a.parcels}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (lines.empty()) {
    std::cout << "No alerts from other stations.\n";
  } else {
    std::cout << "Parcels this station shipped, as their destinations report them (newest first):\n";
    Table table({"received", "from", "status", "waybill", "bag", "dispatched"});
    for (const AlertLine& a : lines) {
      table.AddRow({LocalTime(a.received_ms), a.from, a.status,
                    a.waybill.empty() ? "(" + std::to_string(a.parcels) + " parcels)" : a.waybill, a.bag,
                    LocalTime(a.dispatched_ms)});
    }
    table.Print(std::cout);
  }
  // Worded as `discrepancies --limit` words it; here 0 means no limit.
  if (lines.size() < total) {
    std::cout << "(newest " << lines.size() << " of " << total << " shown; --limit N for more, --limit 0 for all)\n";
  }
  if (unreadable > 0) std::cerr << "stationctl: " << unreadable << " message(s) in the inbox could not be read\n";
  return 0;
}

}  // namespace station
