#include "tools/stationctl/discrepancies.h"

#include <array>
#include <charconv>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "wire/control.h"
#include "daemon/views/station_view.h"
#include "core/command_line.h"
#include "scanner/identifiers.h"
#include "core/utf8.h"
#include "tools/stationctl/clerk_request.h"
#include "tools/stationctl/csv_file.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using json = nlohmann::json;

struct Name {
  const char* key;
  const char* label;
};

// The kinds of daemon/schema.cc's discrepancies table, in reconcile::Kind
// order, with the clerk's terms for them.
constexpr std::array<Name, 5> kKinds{{
    {"missing", "有发无到"},
    {"missing_bag", "整袋未到"},
    {"surplus", "有到无发"},
    {"misrouted", "错发"},
    {"duplicate_arrival", "重复到件"},
}};
constexpr std::array<const char*, 4> kStates{"open", "notified", "resolved", "closed"};

const char* KindLabel(const std::string& key) {
  for (const Name& k : kKinds) {
    if (key == k.key) return k.label;
  }
  return "";
}

// The filter the flags ask for, or the exit code of a usage error.
std::optional<int> ParseFilter(const CtlOptions& options, DiscrepancyFilter& filter) {
  if (!options.kind.empty()) {
    bool known = false;
    for (const Name& k : kKinds) known = known || options.kind == k.key;
    if (!known) {
      return UsageError("stationctl", "--kind '" + options.kind +
                                          "': use missing, missing_bag, surplus, misrouted or duplicate_arrival");
    }
  }
  if (!options.origin.empty() && !IsStationCode(options.origin)) {
    return UsageError("stationctl", "--origin '" + options.origin + "': a station code is six digits");
  }
  if (options.state.empty()) {
    filter.states = {"open", "notified"};
  } else if (options.state != "all") {
    bool known = false;
    for (const char* state : kStates) known = known || options.state == state;
    if (!known) {
      return UsageError("stationctl", "--state '" + options.state + "': use open, notified, resolved, closed or all");
    }
    filter.states = {options.state};
  }
  if (options.limit < 1) return UsageError("stationctl", "--limit must be at least 1");
  if (options.force && options.csv.empty()) return UsageError("stationctl", "--force goes with --csv FILE");
  if (!options.csv.empty() && options.json) return UsageError("stationctl", "--csv and --json do not go together");
  filter.kind = options.kind;
  filter.origin = options.origin;
  filter.limit = options.csv.empty() ? options.limit : 0;  // a CSV file holds every match
  return std::nullopt;
}

// "9 (missing 3, surplus 6; open 7, notified 2)": kinds and states in
// their own order, the ones with none left out.
std::string Counts(const DiscrepancyList& list) {
  std::string out = std::to_string(list.matched);
  if (list.matched == 0) return out;
  out += " (";
  bool first = true;
  for (const Name& k : kKinds) {
    auto it = list.by_kind.find(k.key);
    if (it == list.by_kind.end()) continue;
    out += (first ? "" : ", ") + it->first + " " + std::to_string(it->second);
    first = false;
  }
  first = true;
  for (const char* state : kStates) {
    auto it = list.by_state.find(state);
    if (it == list.by_state.end()) continue;
    out += (first ? "; " : ", ") + it->first + " " + std::to_string(it->second);
    first = false;
  }
  return out + ")";
}

json RowJson(const DiscrepancyRow& d) {
  const auto time = [](std::int64_t ms) { return ms == 0 ? json() : json(LocalIsoTime(ms)); };
  const auto or_null = [](std::int64_t n) { return n == 0 ? json() : json(n); };
  return {{"id", d.id},
          {"kind", d.kind},
          {"kind_label", KindLabel(d.kind)},
          {"waybill", d.waybill},
          {"bag", d.bag},
          {"origin_station", d.origin_station},
          {"dest_station", d.dest_station},
          {"dispatched_ms", or_null(d.dispatched_ms)},
          {"dispatched", time(d.dispatched_ms)},
          {"count", d.count},
          {"bag_missing", d.bag_missing},
          {"first_scan_id", or_null(d.first_scan_id)},
          {"state", d.state},
          {"opened_ms", d.opened_ms},
          {"opened", time(d.opened_ms)},
          {"changed_ms", d.changed_ms},
          {"changed", time(d.changed_ms)},
          {"last_run", d.last_run},
          {"note", d.note},
          {"closed_by", d.closed_by}};
}

CsvDocument CsvOf(const std::vector<DiscrepancyRow>& rows) {
  CsvDocument csv;
  const auto time = [](std::int64_t ms) { return ms == 0 ? std::string() : LocalTime(ms); };
  csv.AddRecord({"id", "kind", "kind_label", "waybill", "bag", "origin_station", "dest_station", "dispatched", "count",
                 "state", "opened", "changed", "note", "closed_by"});
  for (const DiscrepancyRow& d : rows) {
    csv.AddRecord({std::to_string(d.id), d.kind, KindLabel(d.kind), d.waybill, d.bag, d.origin_station,
                   d.dest_station, time(d.dispatched_ms), std::to_string(d.count), d.state, time(d.opened_ms),
                   time(d.changed_ms), d.note, d.closed_by});
  }
  return csv;
}

void PrintTable(const DiscrepancyList& list) {
  Table table({"id", "kind", "waybill", "bag", "origin", "dest", "dispatched", "count", "state", "opened", "note"});
  for (const DiscrepancyRow& d : list.rows) {
    std::string note = Utf8Excerpt(d.note, 60);
    for (char& c : note) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    table.AddRow({std::to_string(d.id), d.kind + " " + KindLabel(d.kind), d.waybill, d.bag, d.origin_station,
                  d.dest_station, LocalTime(d.dispatched_ms), std::to_string(d.count), d.state, LocalTime(d.opened_ms),
                  note});
  }
  table.Print(std::cout);
}

// A discrepancy id as typed: a whole number from 1 up.
std::optional<std::int64_t> ParseId(const std::string& text) {
  std::int64_t id = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, id);
  if (error != std::errc() || stop != end || id < 1) return std::nullopt;
  return id;
}

// "missing ZT7730012345678 from 310001": what, which, and from where.
std::string Describe(const ClosedDiscrepancy& d) {
  std::string text = d.kind + " " + (d.waybill.empty() ? d.bag : d.waybill);
  if (!d.origin_station.empty()) text += " from " + d.origin_station;
  return text;
}

}  // namespace

int CmdDiscrepancyClose(const CtlOptions& options, const std::string& id_text) {
  const std::optional<std::int64_t> id = ParseId(id_text);
  if (!id) {
    return UsageError("stationctl", "discrepancies close '" + id_text + "': give the number in the id column");
  }
  if (!options.note) return UsageError("stationctl", "discrepancies close needs --note TEXT: why it is closed");
  ControlRequest request;
  request.req = "close-" + id_text;
  request.cmd = "discrepancy_close";
  request.id = *id;
  request.note = *options.note;
  request.by = ClerkName(options);
  return SendClerkRequest(options, request, [](const ControlReply& reply) {
    return "closed discrepancy " + std::to_string(reply.discrepancy.id) + " (" + Describe(reply.discrepancy) + ")";
  });
}

int CmdDiscrepancies(const CtlOptions& options) {
  DiscrepancyFilter filter;
  if (auto exit_code = ParseFilter(options, filter)) return *exit_code;
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto list = (*view)->Discrepancies(filter);
  if (!list.ok()) return Fail(list.status());

  if (!options.csv.empty()) return WriteCsvReport(CsvOf(list->rows), options.csv, options.force);
  if (options.json) {
    json out = json::array();
    for (const DiscrepancyRow& d : list->rows) out.push_back(RowJson(d));
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  const char* which = options.state.empty() ? " open or notified" : "";
  std::cout << "Discrepancies" << which << ": " << Counts(*list) << "\n";
  if (!list->rows.empty()) {
    std::cout << "\n";
    PrintTable(*list);
  }
  if (static_cast<std::int64_t>(list->rows.size()) < list->matched) {
    std::cout << "(newest " << list->rows.size() << " of " << list->matched << " shown; --limit N for more)\n";
  }
  if (options.state.empty()) std::cout << "(resolved and closed ones: --state all)\n";
  return 0;
}

}  // namespace station
