#include "tools/stationctl/problems.h"

#include <algorithm>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "wire/control.h"
#include "daemon/storage/run_file.h"
#include "daemon/views/station_view.h"
#include "problems/deadlines.h"
#include "core/clock.h"
#include "core/command_line.h"
#include "scanner/manifest.h"
#include "scanner/scan.h"
#include "core/utf8.h"
#include "tools/stationctl/csv_file.h"
#include "tools/stationctl/labels.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using json = nlohmann::json;

// Every reason key, for the message that refuses an unknown one.
std::string ReasonKeys() {
  std::string keys;
  for (int r = 0; r < kProblemReasonCount; ++r) {
    keys += std::string(r ? ", " : "") + ProblemReasonKey(static_cast<ProblemReason>(r));
  }
  return keys;
}

// The filter the flags ask for, or the exit code of a usage error.
std::optional<int> ParseFilter(const CtlOptions& options, ProblemFilter& filter) {
  if (options.state.empty()) {
    filter.states = {"open", "notified", "answered"};
  } else if (options.state != "all") {
    bool known = false;
    for (int i = 0; i < problems::kCaseStateCount; ++i) {
      known = known || options.state == problems::CaseStateKey(static_cast<problems::CaseState>(i));
    }
    if (!known) {
      return UsageError("stationctl", "--state '" + options.state + "': use open, notified, answered, closed or all");
    }
    filter.states = {options.state};
  }
  if (!options.reason.empty() && !ParseProblemReason(options.reason)) {
    return UsageError("stationctl", "--reason '" + options.reason + "': use one of " + ReasonKeys());
  }
  if (!options.kind.empty() || !options.origin.empty()) {
    return UsageError("stationctl", "problems filters with --state, --reason and --overdue (not --kind or --origin)");
  }
  if (options.limit < 1) return UsageError("stationctl", "--limit must be at least 1");
  if (options.force && options.csv.empty()) return UsageError("stationctl", "--force goes with --csv FILE");
  if (!options.csv.empty() && options.json) return UsageError("stationctl", "--csv and --json do not go together");
  filter.reason = options.reason;
  filter.overdue = options.overdue;
  // While stationd runs, its desk marks late cases within a tick, on its
  // own clock (a test clock, maybe): its marks are the answer. Without it
  // nobody marks them, so this machine's clock decides.
  if (options.overdue && !FindRunningDaemon(options.data_dir).ok()) {
    filter.late_at_ms = NowMs();
  }
  filter.limit = options.csv.empty() ? options.limit : 0;  // a CSV file holds every match
  return std::nullopt;
}

// The deadline the case works towards now: the answer while none has come
// and it is not late yet, else the close; none once closed.
struct NextDue {
  const char* what = "";
  std::int64_t ms = 0;
};
NextDue NextDueOf(const ProblemCaseRow& c) {
  if (c.state == "closed") return {};
  if ((c.state == "open" || c.state == "notified") && !c.answer_late) return {"answer", c.answer_due_ms};
  return {"close", c.close_due_ms};
}

std::string StateText(const ProblemCaseRow& c) { return c.escalated() ? c.state + ", escalated" : c.state; }

// One line for a table cell: no line breaks, at most `max_bytes`.
std::string Cell(const std::string& text, std::size_t max_bytes) {
  std::string cell = Utf8Excerpt(text, max_bytes);
  for (char& ch : cell) {
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  }
  return cell;
}

// The case as JSON. The new phone number is masked unless `full_phone`:
// only `problems show` hands it over (DESIGN §7).
json CaseJson(const ProblemCaseRow& c, bool full_phone) {
  const auto time = [](std::int64_t ms) { return ms == 0 ? json() : json(LocalIsoTime(ms)); };
  const auto ms_or_null = [](std::int64_t ms) { return ms == 0 ? json() : json(ms); };
  const auto or_null = [](const std::optional<std::int64_t>& n) { return n ? json(*n) : json(); };
  const auto text_or_null = [](const std::string& text) { return text.empty() ? json() : json(text); };
  const NextDue due = NextDueOf(c);
  json closed_how;
  if (c.state == "closed") closed_how = c.closed_by_scan_id ? "scan" : "clerk";
  return {{"case", c.case_no},
          {"waybill", c.waybill},
          {"reason", c.reason},
          {"reason_label", ReasonLabelOf(c.reason)},
          {"origin_station", c.origin_station},
          {"state", c.state},
          {"escalated", c.escalated()},
          {"answer_late", c.answer_late},
          {"close_late", c.close_late},
          {"opened_ms", c.opened_ms},
          {"opened", time(c.opened_ms)},
          {"opened_by", c.opened_by},
          {"problem_scans", c.problem_scans},
          {"note", c.note},
          {"recipient_phone", text_or_null(c.recipient_phone_masked)},
          {"weight_g", or_null(c.weight_g)},
          {"reference_weight_g", or_null(c.reference_weight_g)},
          {"suggestion", text_or_null(c.suggestion)},
          {"answer_due_ms", c.answer_due_ms},
          {"answer_due", time(c.answer_due_ms)},
          {"close_due_ms", c.close_due_ms},
          {"close_due", time(c.close_due_ms)},
          {"next_due", due.ms == 0 ? json() : json(due.what)},
          {"next_due_ms", ms_or_null(due.ms)},
          {"resolution", text_or_null(c.resolution)},
          {"resolution_label", text_or_null(ResolutionLabelOf(c.resolution))},
          {"resolution_phone",
           c.resolution_phone.empty() ? json() : json(full_phone ? c.resolution_phone : MaskPhone(c.resolution_phone))},
          {"resolution_address", text_or_null(c.resolution_address)},
          {"answer_note", text_or_null(c.answer_note)},
          {"answered_ms", ms_or_null(c.answered_ms)},
          {"answered", time(c.answered_ms)},
          {"answered_by", text_or_null(c.answered_by)},
          {"closed_ms", ms_or_null(c.closed_ms)},
          {"closed", time(c.closed_ms)},
          {"closed_by", text_or_null(c.closed_by)},
          {"close_note", text_or_null(c.close_note)},
          {"closed_how", closed_how},
          {"closed_by_scan_id", or_null(c.closed_by_scan_id)}};
}

CsvDocument CsvOf(const std::vector<ProblemCaseRow>& rows) {
  CsvDocument csv;
  const auto time = [](std::int64_t ms) { return ms == 0 ? std::string() : LocalTime(ms); };
  const auto grams = [](const std::optional<std::int64_t>& g) { return g ? std::to_string(*g) : std::string(); };
  csv.AddRecord({"case", "waybill", "reason", "reason_label", "origin_station", "state", "escalated", "opened",
                 "opened_by", "answer_due", "close_due", "recipient_phone", "note", "weight_g", "reference_weight_g",
                 "suggestion", "resolution", "resolution_phone", "resolution_address", "answered", "answered_by",
                 "closed", "closed_by", "close_note"});
  for (const ProblemCaseRow& c : rows) {
    csv.AddRecord({c.case_no, c.waybill, c.reason, ReasonLabelOf(c.reason), c.origin_station, c.state,
                   c.escalated() ? "yes" : "", time(c.opened_ms), c.opened_by, time(c.answer_due_ms),
                   time(c.close_due_ms), c.recipient_phone_masked, c.note, grams(c.weight_g),
                   grams(c.reference_weight_g), c.suggestion, c.resolution,
                   c.resolution_phone.empty() ? "" : MaskPhone(c.resolution_phone), c.resolution_address,
                   time(c.answered_ms), c.answered_by, time(c.closed_ms), c.closed_by, c.close_note});
  }
  return csv;
}

void PrintTable(const std::vector<ProblemCaseRow>& rows) {
  Table table({"case", "waybill", "reason", "origin", "state", "opened", "due", "resolution", "phone"});
  for (const ProblemCaseRow& c : rows) {
    const NextDue due = NextDueOf(c);
    table.AddRow({c.case_no, c.waybill, ReasonWithLabel(c.reason), c.origin_station.empty() ? "?" : c.origin_station,
                  StateText(c), LocalTime(c.opened_ms), due.ms == 0 ? "-" : std::string(due.what) + " " + LocalTime(due.ms),
                  c.resolution.empty() ? "-" : ResolutionWithLabel(c.resolution),
                  c.recipient_phone_masked.empty() ? "-" : c.recipient_phone_masked});
  }
  table.Print(std::cout);
}

// "3 (open 1, notified 1, answered 1)": the states in their own order.
std::string Counts(const ProblemCaseList& list) {
  std::string out = std::to_string(list.matched);
  if (list.matched == 0) return out;
  bool first = true;
  for (int i = 0; i < problems::kCaseStateCount; ++i) {
    const std::string state = problems::CaseStateKey(static_cast<problems::CaseState>(i));
    auto it = list.by_state.find(state);
    if (it == list.by_state.end()) continue;
    out += (first ? " (" : ", ") + state + " " + std::to_string(it->second);
    first = false;
  }
  return out + ")";
}

// The case's fields for a person, one "label: value" line each; empty
// ones are left out.
void PrintCase(const ProblemCaseRow& c) {
  const auto line = [](const char* label, const std::string& value) {
    if (value.empty()) return;
    std::string padded = std::string(label) + ":";
    padded.resize(std::max<std::size_t>(padded.size() + 1, 17), ' ');
    std::cout << "  " << padded << value << "\n";
  };
  const auto at_by = [](std::int64_t ms, const std::string& by) {
    return ms == 0 ? std::string() : LocalTime(ms) + (by.empty() ? "" : " by " + by);
  };
  std::cout << "Case " << c.case_no << "\n";
  line("waybill", c.waybill);
  line("reason", ReasonWithLabel(c.reason));
  line("origin station", c.origin_station.empty() ? "unknown (no manifest row)" : c.origin_station);
  std::string state = c.state;
  if (c.answer_late) state += "; escalated: no answer by " + LocalTime(c.answer_due_ms);
  if (c.close_late) state += "; escalated: not closed by " + LocalTime(c.close_due_ms);
  line("state", state);
  line("opened", at_by(c.opened_ms, c.opened_by));
  line("problem scans", std::to_string(c.problem_scans));
  line("note", c.note);
  line("recipient phone", c.recipient_phone_masked);
  if (c.weight_g) line("weighed", std::to_string(*c.weight_g) + " g");
  if (c.reference_weight_g) line("declared weight", std::to_string(*c.reference_weight_g) + " g");
  if (!c.suggestion.empty()) line("suggestion", ResolutionWithLabel(c.suggestion));
  if (c.state != "closed") {
    line("answer due", c.state == "answered" ? "" : LocalTime(c.answer_due_ms));
    line("close due", LocalTime(c.close_due_ms));
  }
  if (!c.resolution.empty()) line("resolution", ResolutionWithLabel(c.resolution));
  // In full: this station's clerk calls the recipient on it (DESIGN §7).
  line("new phone", c.resolution_phone);
  line("new address", c.resolution_address);
  line("answered", at_by(c.answered_ms, c.answered_by));
  line("answer note", c.answer_note);
  if (c.state == "closed") {
    line("closed", at_by(c.closed_ms, c.closed_by) +
                       (c.closed_by_scan_id ? " (scan #" + std::to_string(*c.closed_by_scan_id) + ")" : " (by hand)"));
    line("close note", c.close_note);
  }
}

}  // namespace

int CmdProblems(const CtlOptions& options) {
  ProblemFilter filter;
  if (auto exit_code = ParseFilter(options, filter)) return *exit_code;
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto list = (*view)->Problems(filter);
  if (!list.ok()) return Fail(list.status());

  if (!options.csv.empty()) return WriteCsvReport(CsvOf(list->rows), options.csv, options.force);
  if (options.json) {
    json out = json::array();
    for (const ProblemCaseRow& c : list->rows) out.push_back(CaseJson(c, /*full_phone=*/false));
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::string which = options.state.empty() ? " not closed" : options.state == "all" ? "" : " " + options.state;
  if (options.overdue) which += ", past a deadline";
  std::cout << "Problem cases" << which << ": " << Counts(*list) << "\n";
  if (!list->rows.empty()) {
    std::cout << "\n";
    PrintTable(list->rows);
  }
  if (static_cast<std::int64_t>(list->rows.size()) < list->matched) {
    std::cout << "(newest " << list->rows.size() << " of " << list->matched << " shown; --limit N for more)\n";
  }
  if (!list->rows.empty()) std::cout << "(one case with its audit trail: stationctl problems show CASE)\n";
  if (options.state.empty()) std::cout << "(closed ones: --state closed or --state all)\n";
  return 0;
}

int CmdProblemShow(const CtlOptions& options, const std::string& case_no) {
  auto view = StationView::Open(options.data_dir);
  if (!view.ok()) return Fail(view.status());
  auto detail = (*view)->ProblemCase(case_no);
  if (!detail.ok()) return Fail(detail.status());

  if (options.json) {
    json out = CaseJson(detail->fields, /*full_phone=*/true);
    json events = json::array();
    for (const ProblemEventRow& e : detail->events) {
      events.push_back({{"at_ms", e.at_ms}, {"at", LocalIsoTime(e.at_ms)}, {"actor", e.actor}, {"event", e.event},
                        {"detail", e.detail}});
    }
    out["events"] = std::move(events);
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  PrintCase(detail->fields);
  std::cout << "\nAudit trail (oldest first):\n";
  Table trail({"time", "who", "event", "detail"});
  for (const ProblemEventRow& e : detail->events) {
    trail.AddRow({LocalTime(e.at_ms), e.actor, e.event, Cell(e.detail, 4000)});
  }
  trail.Print(std::cout);
  return 0;
}

}  // namespace station
