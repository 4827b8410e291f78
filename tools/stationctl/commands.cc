#include "tools/stationctl/commands.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/utf8.h"
#include "daemon/storage/run_file.h"
#include "daemon/uplink/uplink_store.h"  // CountLookups
#include "daemon/views/station_view.h"
#include "scanner/identifiers.h"
#include "scanner/scan.h"
#include "wire/control.h"
#include "tools/stationctl/control_client.h"
#include "tools/stationctl/labels.h"
#include "tools/stationctl/status_figures.h"
#include "tools/stationctl/table.h"
#include "tools/stationctl/upload.h"

namespace station {
namespace {

using json = nlohmann::json;

// Chinese label after the key, for the clerk: "arrival 到件".
std::string TypeLabel(const std::string& key) {
  auto type = ParseScanType(key);
  return type ? key + " " + ScanTypeLabel(*type) : key;
}

json DocksJson(const std::vector<DockSummary>& docks) {
  json out = json::array();
  for (const DockSummary& d : docks) {
    out.push_back({{"device", d.device}, {"courier", d.courier}, {"last_batch", d.batch},
                   {"last_dock_ms", d.received_ms}, {"docks", d.docks}, {"accepted", d.accepted}});
  }
  return out;
}

// One row per device (or courier): who, the other one, and its last dock.
void PrintDocks(const std::vector<DockSummary>& docks, const char* who, const char* other) {
  Table table({who, other, "last batch", "last dock", "docks", "scans accepted"});
  const bool by_device = std::string(who) == "device";
  for (const DockSummary& d : docks) {
    table.AddRow({d.who, by_device ? d.courier : d.device, d.batch, LocalTime(d.received_ms), std::to_string(d.docks),
                  std::to_string(d.accepted)});
  }
  table.Print(std::cout);
}

// The lookups of surplus parcels at national; not an error when the
// database predates them (they are simply not shown).
Result<LookupCounts> Lookups(const std::string& data_dir) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), read_only);
  if (!db.ok()) return db.status();
  return CountLookups(*db);
}

// `stationctl status --json`: the same sections as the text, for scripts.
void PrintStatusJson(const std::string& data_dir, const Result<RunInfo>& daemon, const StationSummary& summary,
                     const StationFigures& figures, const Result<UplinkStatus>& live) {
  json j;
  j["daemon"] = daemon.ok() ? json{{"running", true}, {"pid", daemon->pid}, {"station", daemon->station},
                                   {"ingest", daemon->ingest}, {"started_ms", daemon->started_ms}}
                            : json{{"running", false}};
  j["scans"] = summary.scans;
  j["scans_by_type"] = summary.scans_by_type;
  j["clock_flagged"] = {{"future", summary.clock_future}, {"past", summary.clock_past}};
  j["quarantine"] = summary.quarantine_by_kind;
  j["devices"] = DocksJson(summary.by_device);
  j["couriers"] = DocksJson(summary.by_courier);
  j["national"] = {{"backlog", std::max<std::int64_t>(0, summary.newest_scan_id - summary.uploaded_upto)},
                   {"uploaded_upto", summary.uploaded_upto}, {"newest_scan_id", summary.newest_scan_id},
                   {"last_upload_ms", summary.last_upload_ms}, {"oldest_waiting_ms", summary.oldest_waiting_ms},
                   {"manifest_rows", summary.manifest_rows}, {"inbox", summary.inbox},
                   {"outbox_waiting", summary.outbox_waiting},
                   {"outbox_refused", summary.outbox_refused}};
  if (auto lookups = Lookups(data_dir); lookups.ok()) {
    j["national"]["lookups"] = {{"waiting", lookups->waiting}, {"found", lookups->found},
                                {"not_found", lookups->not_found}};
  }
  if (daemon.ok() && live.ok()) {
    j["national"]["configured"] = live->configured;
    j["national"]["link_up"] = live->link_up;
    j["national"]["endpoint"] = live->endpoint;
    j["national"]["last_contact_ms"] = live->last_contact_ms;
    j["national"]["last_error"] = live->last_error;
    j["national"]["set_aside"] = live->set_aside;
    j["national"]["set_aside_reason"] = live->set_aside_reason;
  }
  j["figures"] = FiguresJson(figures, live, daemon);
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

// The scans stored by type, and the records set aside by kind.
void PrintStored(const StationSummary& summary) {
  std::cout << "\nScans stored: " << summary.scans << "\n";
  Table types({"type", "scans"});
  for (const auto& [type, count] : summary.scans_by_type) types.AddRow({TypeLabel(type), std::to_string(count)});
  if (!types.empty()) types.Print(std::cout);
  if (summary.clock_future > 0 || summary.clock_past > 0) {
    std::cout << "Scans with a gun clock off: " << summary.clock_future << " future, " << summary.clock_past
              << " past (stored and counted; set those guns' clocks; see: stationctl scans WAYBILL)\n";
  }
  std::int64_t quarantined = 0;
  for (const auto& [kind, count] : summary.quarantine_by_kind) quarantined += count;
  std::cout << "\nQuarantined records: " << quarantined;
  if (quarantined > 0) {
    std::cout << " (";
    bool first = true;
    for (const auto& [kind, count] : summary.quarantine_by_kind) {
      std::cout << (first ? "" : ", ") << kind << " " << count;
      first = false;
    }
    std::cout << "; see: stationctl quarantine)";
  }
  std::cout << "\n";
}

// `stationctl status` for the clerk: the daemon, what is stored, the link,
// the figures, and the last dock of each gun and courier.
void PrintStatusText(const std::string& data_dir, const Result<RunInfo>& daemon, const StationSummary& summary,
                     const StationFigures& figures, const Result<UplinkStatus>& live) {
  if (daemon.ok()) {
    std::cout << "stationd: running, station " << daemon->station << ", pid " << daemon->pid << ", ingest "
              << daemon->ingest << ", since " << LocalTime(daemon->started_ms) << "\n";
  } else {
    std::cout << "stationd: not running (" << daemon.status().message() << ")\n";
  }
  PrintStored(summary);
  PrintUplink(std::cout, summary, live);
  if (auto lookups = Lookups(data_dir); lookups.ok()) {
    std::cout << "  surplus looked up:    " << lookups->waiting << " waiting, " << lookups->found
              << " found at national, " << lookups->not_found << " unknown there\n";
  }
  PrintFigures(std::cout, figures, live, daemon);
  std::cout << "\nLast dock per device:\n";
  PrintDocks(summary.by_device, "device", "courier");
  std::cout << "\nLast dock per courier:\n";
  PrintDocks(summary.by_courier, "courier", "device");
}

}  // namespace

int Fail(const Status& s) {
  std::cerr << "stationctl: " << s.ToString() << "\n";
  return 1;
}

int CmdStatus(const CtlOptions& options) {
  auto daemon = FindRunningDaemon(options.data_dir);
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto summary = (*view)->Summary();
  if (!summary.ok()) return Fail(summary.status());
  auto figures = (*view)->Figures(NowMs());
  if (!figures.ok()) return Fail(figures.status());
  const Result<UplinkStatus> live =
      daemon.ok() ? LiveUplink(options.data_dir) : Result<UplinkStatus>(Status::Unavailable("stationd not running"));
  if (options.json) {
    PrintStatusJson(options.data_dir, daemon, *summary, *figures, live);
  } else {
    PrintStatusText(options.data_dir, daemon, *summary, *figures, live);
  }
  return 0;
}

int CmdScans(const CtlOptions& options, const std::string& waybill_text) {
  auto waybill = NormalizeWaybill(waybill_text);
  if (!waybill.ok()) return Fail(waybill.status());
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto history = (*view)->History(*waybill);
  if (!history.ok()) return Fail(history.status());

  if (options.json) {
    json rows = json::array();
    for (const ScanRow& r : *history) {
      rows.push_back({{"id", r.id}, {"waybill", r.waybill}, {"bag", r.bag}, {"bag_scan", r.bag_scan}, {"type", r.type},
                      {"time", r.scan_time}, {"time_ms", r.scan_time_ms}, {"received_ms", r.received_ms},
                      {"station", r.station}, {"courier", r.courier}, {"device", r.device}, {"batch", r.batch},
                      {"seq", r.seq}, {"peer_station", r.peer_station},
                      {"weight_g", r.weight_g ? json(*r.weight_g) : json()}, {"reason", r.reason},
                      {"note", r.note}, {"clock_flag", r.clock_flag.empty() ? json() : json(r.clock_flag)}});
    }
    std::cout << json{{"waybill", *waybill}, {"scans", rows}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (history->empty()) {
    std::cout << "No scans of " << *waybill << " at this station.\n";
    return 0;
  }
  std::cout << "Scans of " << *waybill << ":\n";
  Table table({"gun time", "received", "type", "peer", "bag", "weight g", "courier", "device", "reason", "note"});
  bool clock_off = false;
  for (const ScanRow& r : *history) {
    std::string gun_time = r.scan_time;
    if (!r.clock_flag.empty()) {
      gun_time += " [clock off: " + r.clock_flag + "]";
      clock_off = true;
    }
    table.AddRow({gun_time, LocalTime(r.received_ms), TypeLabel(r.type) + (r.bag_scan ? " (bag)" : ""),
                  r.peer_station, r.bag, r.weight_g ? std::to_string(*r.weight_g) : "", r.courier, r.device,
                  r.reason.empty() ? "" : ReasonWithLabel(r.reason), r.note});
  }
  table.Print(std::cout);
  if (clock_off) {
    std::cout << "[clock off]: the gun's clock was wrong when it scanned (more than 5 minutes ahead of the station,"
                 " or over a year behind); the scan is kept and counts as usual. Set that gun's clock.\n";
  }
  return 0;
}

int CmdQuarantine(const CtlOptions& options) {
  if (!options.kind.empty() && options.kind != "invalid" && options.kind != "conflict" && options.kind != "batch" &&
      options.kind != "manifest" && options.kind != "national") {
    return Fail(
        Status::InvalidArgument("--kind '" + options.kind + "'", "use invalid, conflict, batch, manifest or national"));
  }
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto rows = (*view)->Quarantine(options.kind, options.limit);
  if (!rows.ok()) return Fail(rows.status());
  if (options.json) {
    json out = json::array();
    for (const QuarantineRow& q : *rows) {
      out.push_back({{"id", q.id}, {"kind", q.kind}, {"device", q.device}, {"courier", q.courier},
                     {"batch", q.batch}, {"line", q.line}, {"seq", q.seq}, {"reason", q.reason}, {"raw", q.raw},
                     {"received_ms", q.received_ms}});
    }
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (rows->empty()) {
    std::cout << "Nothing in quarantine.\n";
    return 0;
  }
  Table table({"id", "kind", "received", "device", "batch", "line", "seq", "reason", "raw row"});
  for (const QuarantineRow& q : *rows) {
    // Cut on a character boundary, control characters (a NUL, an escape
    // from a broken gun) shown as \xNN, line breaks as spaces.
    std::string raw = Utf8Excerpt(q.raw, 80);
    for (char& c : raw) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    table.AddRow({std::to_string(q.id), q.kind, LocalTime(q.received_ms), q.device, q.batch,
                  q.line ? std::to_string(q.line) : "", q.seq ? std::to_string(q.seq) : "", q.reason, raw});
  }
  table.Print(std::cout);
  if (options.limit > 0 && rows->size() == options.limit) std::cout << "(first " << options.limit << " shown; --limit N for more, --limit 0 for all)\n";
  return 0;
}

int CmdManifestImport(const CtlOptions& options, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("manifest file " + file, "cannot be read"));
  std::stringstream body;
  body << in.rdbuf();
  ControlRequest request{"import-1", "manifest_import", std::filesystem::path(file).filename().string()};
  std::string reply_text;
  // A large file takes a few seconds to store.
  auto reply = CallDaemon(options.data_dir, request, body.str(), std::chrono::seconds(120), &reply_text);
  if (!reply.ok()) return Fail(reply.status());
  if (!reply->ok) {
    std::cerr << "stationctl: " << reply->code << ": " << reply->error << "\n";
    return 1;
  }
  const ManifestImport& r = reply->import;
  if (options.json) {
    std::cout << reply_text << "\n";
  } else {
    std::cout << "Manifest " << file << ": " << r.stored << " new, " << r.updated << " updated, " << r.unchanged
              << " unchanged, " << r.rejected.size() << " rejected\n";
    if (!r.rejected.empty()) {
      Table table({"line", "reason"});
      for (const ManifestProblem& p : r.rejected) table.AddRow({std::to_string(p.line), p.reason});
      table.Print(std::cout);
      std::cout << "(rejected rows are kept in quarantine: stationctl quarantine --kind manifest)\n";
    }
  }
  return r.rejected.empty() ? 0 : 1;
}

}  // namespace station
