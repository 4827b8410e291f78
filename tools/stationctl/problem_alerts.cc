#include "tools/stationctl/problem_alerts.h"

#include <algorithm>

#include "wire/control.h"
#include "daemon/views/station_view.h"
#include "scanner/manifest.h"
#include "core/utf8.h"
#include "tools/stationctl/labels.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using json = nlohmann::json;

// Another station wrote the number: shown as it came when masked, and
// masked here when it was not (DESIGN §7 holds whoever forgot).
std::string Masked(const std::string& phone) {
  if (phone.empty() || phone.find('*') != std::string::npos) return phone;
  return MaskPhone(phone);
}

int StateRank(const std::string& state) { return state == "alerted" ? 0 : state == "answered" ? 1 : 2; }

// The body's fields into `line`; false when the body is not an alert's shape.
bool ReadBody(const std::string& body, ProblemAlertLine& line) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return false;
  const auto text = [&j](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto number = [&j](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_number_integer() ? std::optional<std::int64_t>(it->get<std::int64_t>())
                                                    : std::nullopt;
  };
  line.note = text("note");
  line.bag = text("bag");
  line.suggestion = text("suggestion");
  line.recipient_phone = Masked(text("recipient_phone"));
  line.answer_due_ms = number("answer_due_ms").value_or(0);
  line.problem_scans = number("problem_scans").value_or(0);
  line.weight_g = number("weight_g");
  line.reference_weight_g = number("reference_weight_g");
  if (auto usual = j.find("usual_resolutions"); usual != j.end() && usual->is_array()) {
    for (const json& key : *usual) {
      if (key.is_string()) line.usual_resolutions.push_back(key.get<std::string>());
    }
  }
  return true;
}

}  // namespace

Result<ProblemAlerts> ReadProblemAlerts(const std::string& data_dir) {
  auto view = StationView::Open(data_dir);
  if (!view.ok()) return view.status();
  auto rows = (*view)->ProblemAlerts();
  if (!rows.ok() && rows.status().code() == Code::kNotFound) return ProblemAlerts{};  // an older database
  if (!rows.ok()) return rows.status();
  ProblemAlerts alerts;
  for (const ProblemAlertRow& r : *rows) {
    ProblemAlertLine line;
    line.case_no = r.case_no;
    line.from = r.from_station;
    line.waybill = r.waybill;
    line.reason = r.reason;
    line.state = r.state;
    line.resolution = r.resolution;
    line.answered_by = r.answered_by;
    line.received_ms = r.received_ms;
    line.answered_ms = r.answered_ms;
    line.closed_ms = r.closed_ms;
    if (!ReadBody(r.body, line)) ++alerts.unreadable;
    alerts.lines.push_back(std::move(line));
  }
  // The rows come newest first; a stable sort keeps that within each state.
  std::stable_sort(alerts.lines.begin(), alerts.lines.end(), [](const ProblemAlertLine& a, const ProblemAlertLine& b) {
    return StateRank(a.state) < StateRank(b.state);
  });
  return alerts;
}

json ProblemAlertJson(const ProblemAlertLine& a) {
  const auto ms_or_null = [](std::int64_t ms) { return ms == 0 ? json() : json(ms); };
  const auto or_null = [](const std::optional<std::int64_t>& n) { return n ? json(*n) : json(); };
  const auto text_or_null = [](const std::string& text) { return text.empty() ? json() : json(text); };
  return {{"kind", "problem_alert"},
          {"case", a.case_no},
          {"from", a.from},
          {"waybill", a.waybill},
          {"reason", a.reason},
          {"reason_label", ReasonLabelOf(a.reason)},
          {"state", a.state},
          {"received_ms", a.received_ms},
          {"received", LocalIsoTime(a.received_ms)},
          {"answer_due_ms", ms_or_null(a.answer_due_ms)},
          {"usual_resolutions", a.usual_resolutions},
          {"recipient_phone", text_or_null(a.recipient_phone)},
          {"bag", text_or_null(a.bag)},
          {"note", a.note},
          {"problem_scans", a.problem_scans},
          {"weight_g", or_null(a.weight_g)},
          {"reference_weight_g", or_null(a.reference_weight_g)},
          {"suggestion", text_or_null(a.suggestion)},
          {"resolution", text_or_null(a.resolution)},
          {"answered_ms", ms_or_null(a.answered_ms)},
          {"answered_by", text_or_null(a.answered_by)},
          {"closed_ms", ms_or_null(a.closed_ms)}};
}

void PrintProblemAlerts(const std::vector<ProblemAlertLine>& lines, std::ostream& out) {
  // Resolution keys, not labels: they are what --resolution takes.
  Table table({"received", "case", "from", "waybill", "reason", "state", "answer by", "usual resolutions", "phone",
               "note"});
  bool waiting = false;
  for (const ProblemAlertLine& a : lines) {
    std::string usual;
    for (const std::string& key : a.usual_resolutions) usual += (usual.empty() ? "" : ", ") + key;
    if (!a.suggestion.empty()) usual += " (suggested: " + a.suggestion + ")";
    std::string note = Utf8Excerpt(a.note, 40);
    std::replace_if(note.begin(), note.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    const bool alerted = a.state == "alerted";
    waiting = waiting || alerted;
    table.AddRow({LocalTime(a.received_ms), a.case_no, a.from, a.waybill, ReasonWithLabel(a.reason),
                  a.state == "answered" ? "answered " + a.resolution : a.state,
                  alerted ? LocalTime(a.answer_due_ms) : "-", usual.empty() ? "-" : usual,
                  a.recipient_phone.empty() ? "-" : a.recipient_phone, note});
  }
  table.Print(out);
  if (waiting) {
    out << "(answer: stationctl alerts answer CASE --resolution R [--phone N] [--address TEXT] [--note TEXT])\n";
  }
}

}  // namespace station
