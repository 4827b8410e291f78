#include "daemon/desk/problem_store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "problems/resolution.h"
#include "scanner/identifiers.h"
#include "core/iso_time.h"
#include "scanner/manifest.h"
#include "scanner/scan.h"

namespace station {
namespace {

using json = nlohmann::json;
using problems::Resolution;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<sql::Stmt> Prepare(sql::Db& db, const std::string& text) { return sql::Stmt::Prepare(db, text.c_str()); }

std::string ReasonText(const std::string& key) {
  auto reason = ParseProblemReason(key);
  return reason ? key + " (" + ProblemReasonLabel(*reason) + ")" : key;
}

std::string ResolutionText(const std::string& key) {
  auto resolution = problems::ParseResolution(key);
  return resolution ? key + " (" + problems::ResolutionLabel(*resolution) + ")" : key;
}

Status AddEvent(sql::Db& db, std::int64_t case_id, std::int64_t now_ms, const std::string& actor,
                const std::string& event, const std::string& detail) {
  auto insert = Prepare(db, "INSERT INTO problem_events (case_id, at_ms, actor, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, case_id).Bind(2, now_ms).Bind(3, actor).Bind(4, event).Bind(5, detail);
  return insert->Run();
}

// A message to station `to`: through the outbox and national's mailbox, or,
// when `to` is this station (a parcel it picked up itself), applied here at once.
Status Deliver(sql::Db& db, const ProblemSettings& settings, const std::string& msg_id, const std::string& to,
               const char* kind, const json& body, std::int64_t now_ms) {
  if (to == settings.station) {
    auto applied = ApplyProblemMessage(db, settings, settings.station, kind, Dump(body), now_ms);
    if (!applied.ok()) return applied.status();
    spdlog::info("problem message to this station kind={}: {}", kind, *applied);
    return Status::OK();
  }
  auto post = Prepare(db,
                      "INSERT INTO outbox (msg_id, to_station, kind, body, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
                      " ON CONFLICT (msg_id) DO NOTHING");
  if (!post.ok()) return post.status();
  post->Bind(1, msg_id).Bind(2, to).Bind(3, kind).Bind(4, Dump(body)).Bind(5, now_ms);
  return post->Run();
}

// The parcel's manifest row, as far as a case needs it.
struct ManifestFacts {
  std::string origin, phone;
  std::optional<std::int64_t> declared_weight_g;
};

Result<ManifestFacts> FactsOf(sql::Db& db, const std::string& waybill) {
  auto row = Prepare(db, "SELECT origin_station, coalesce(recipient_phone, ''), declared_weight_g FROM manifest WHERE waybill = ?1");
  if (!row.ok()) return row.status();
  row->Bind(1, waybill);
  ManifestFacts facts;
  Status s = row->ForEachRow([&](const sql::Stmt& r) {
    facts.origin = r.ColumnText(0);
    facts.phone = r.ColumnText(1);
    if (!r.ColumnIsNull(2)) facts.declared_weight_g = r.ColumnInt(2);
  });
  if (!s.ok()) return s;
  return facts;
}

// "571001-20261201-0007": the station, the day it opened (station time,
// +08:00) and its number that day. The day's counter is a row of its own
// (problem_case_days), bumped inside the caller's transaction, so a number
// costs the same on a day of 30,000 cases as on a quiet one.
Result<std::string> NextCaseNo(sql::Db& db, const std::string& station, std::int64_t now_ms) {
  const std::string iso = FormatIsoInstant(now_ms);  // 2026-12-01T08:00:00.000+08:00
  const std::string prefix = station + "-" + iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "-";
  auto next = Prepare(db,
                      "INSERT INTO problem_case_days (day, last_no) VALUES (?1, 1)"
                      " ON CONFLICT (day) DO UPDATE SET last_no = last_no + 1 RETURNING last_no");
  if (!next.ok()) return next.status();
  next->Bind(1, prefix);
  std::int64_t n = 0;
  Status s = next->ForEachRow([&](const sql::Stmt& r) { n = r.ColumnInt(0); });
  if (!s.ok()) return s;
  char number[24];
  std::snprintf(number, sizeof number, "%04lld", static_cast<long long>(n));
  return prefix + number;
}

std::string ActorOf(const ProblemScan& scan) { return scan.courier + "@" + scan.device; }

Result<std::string> OpenCase(sql::Db& db, const ProblemSettings& settings, const ProblemScan& scan,
                             std::int64_t now_ms) {
  auto facts = FactsOf(db, scan.waybill);
  if (!facts.ok()) return facts.status();
  std::string origin_how = "";
  if (facts->origin.empty() && scan.picked_up_here) {
    facts->origin = settings.station;
    origin_how = " (picked up here)";
  }
  // The weight at pickup, measured, before the sender's declared one.
  std::optional<std::int64_t> reference = scan.pickup_weight_g ? scan.pickup_weight_g : facts->declared_weight_g;
  const char* reference_is = scan.pickup_weight_g ? " g at pickup" : " g declared";
  auto case_no = NextCaseNo(db, settings.station, now_ms);
  if (!case_no.ok()) return case_no.status();
  const problems::Deadlines due = problems::DeadlinesFor(now_ms, settings.deadlines);
  std::string detail = "reason " + ReasonText(scan.reason) + "; origin " +
                       (facts->origin.empty() ? std::string("unknown (no manifest row)") : facts->origin + origin_how);
  std::optional<problems::DamageCheck> damage;
  if (scan.reason == ProblemReasonKey(ProblemReason::kDamaged)) {
    damage = problems::CheckDamage(scan.weight_g, reference, settings.damage);
    switch (damage->verdict) {
      case problems::DamageVerdict::kUnweighed:
        detail += "; damaged, no weight to compare: a clerk decides";
        break;
      case problems::DamageVerdict::kWithinTolerance:
        detail += "; weighed " + std::to_string(*scan.weight_g) + " g against " + std::to_string(*reference) +
                  reference_is + ", within " + std::to_string(damage->tolerance_g) + " g: rewrap and deliver";
        break;
      case problems::DamageVerdict::kShort:
        detail += "; weighed " + std::to_string(*scan.weight_g) + " g against " + std::to_string(*reference) +
                  reference_is + ", " + std::to_string(damage->missing_g) + " g short: claim";
        break;
    }
  }
  if (!scan.note.empty()) detail += "; note: " + scan.note;
  auto insert = Prepare(
      db,
      "INSERT INTO problem_cases (case_no, waybill, reason, origin_station, state, opened_ms, opened_by, first_scan_id,"
      " problem_scans, note, weight_g, reference_weight_g, suggestion, answer_due_ms, close_due_ms)"
      " VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, *case_no).Bind(2, scan.waybill).Bind(3, scan.reason).Bind(4, facts->origin).Bind(5, now_ms);
  insert->Bind(6, ActorOf(scan)).Bind(7, scan.id).Bind(8, scan.note).BindOptional(9, scan.weight_g);
  insert->BindOptional(10, reference);
  if (damage && damage->suggestion) insert->Bind(11, problems::ResolutionKey(*damage->suggestion));
  insert->Bind(12, due.answer_due_ms).Bind(13, due.close_due_ms);
  if (Status s = insert->Run(); !s.ok()) return s;
  if (Status s = AddEvent(db, db.LastInsertRowId(), now_ms, ActorOf(scan), "opened", detail); !s.ok()) return s;
  spdlog::info("problem case opened case={} waybill={} reason={} origin={}", *case_no, scan.waybill, scan.reason,
               facts->origin.empty() ? "unknown" : facts->origin);
  return case_no;
}

// A case as the writes below need it.
struct CaseRef {
  std::int64_t id = 0;
  std::string case_no, waybill, reason, origin, state, resolution, closed_by;
  std::int64_t first_scan_id = 0, closed_ms = 0;
};

constexpr const char* kCaseColumns =
    "SELECT id, case_no, waybill, reason, origin_station, state, coalesce(resolution, ''), coalesce(closed_by, ''),"
    " first_scan_id, coalesce(closed_ms, 0) FROM problem_cases";

Result<std::optional<CaseRef>> FindCase(sql::Db& db, const std::string& where, const std::string& value) {
  auto find = Prepare(db, std::string(kCaseColumns) + " WHERE " + where);
  if (!find.ok()) return find.status();
  find->Bind(1, value);
  std::optional<CaseRef> found;
  Status s = find->ForEachRow([&](const sql::Stmt& r) {
    found = CaseRef{r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3), r.ColumnText(4),
                    r.ColumnText(5), r.ColumnText(6), r.ColumnText(7), r.ColumnInt(8), r.ColumnInt(9)};
  });
  if (!s.ok()) return s;
  return found;
}

Result<std::optional<CaseRef>> OpenCaseOf(sql::Db& db, const std::string& waybill) {
  return FindCase(db, "waybill = ?1 AND state != 'closed'", waybill);
}

// Closes `c` (by a scan when `scan_id` is set) and tells its origin.
Status Close(sql::Db& db, const ProblemSettings& settings, const CaseRef& c, const std::string& by,
             const std::string& note, std::optional<std::int64_t> scan_id, std::int64_t now_ms) {
  auto close = Prepare(db,
                       "UPDATE problem_cases SET state = 'closed', closed_ms = ?2, closed_by = ?3, close_note = ?4,"
                       " closed_by_scan_id = ?5 WHERE id = ?1");
  if (!close.ok()) return close.status();
  close->Bind(1, c.id).Bind(2, now_ms).Bind(3, by).Bind(4, note).BindOptional(5, scan_id);
  if (Status s = close->Run(); !s.ok()) return s;
  const std::string detail = scan_id ? note : "closed by hand (manual close): " + note;
  if (Status s = AddEvent(db, c.id, now_ms, by, "closed", detail); !s.ok()) return s;
  spdlog::info("problem case closed case={} by=\"{}\" how={}", c.case_no, by, scan_id ? "scan" : "clerk");
  if (c.origin.empty()) return Status::OK();
  json body = {{"type", kProblemClosed}, {"v", 1},         {"case", c.case_no},
               {"from", settings.station}, {"to", c.origin}, {"waybill", c.waybill},
               {"closed_ms", now_ms},      {"how", scan_id ? "scan" : "clerk"}, {"resolution", c.resolution},
               {"note", scan_id ? note : MaskPhonesIn(note)}};
  return Deliver(db, settings, "pc-" + c.case_no, c.origin, kProblemClosed, body, now_ms);
}

}  // namespace

Result<std::string> RecordProblemScan(sql::Db& db, const ProblemSettings& settings, const ProblemScan& scan,
                                      std::int64_t now_ms) {
  auto open = OpenCaseOf(db, scan.waybill);
  if (!open.ok()) return open.status();
  if (!*open) return OpenCase(db, settings, scan, now_ms);
  const CaseRef& c = **open;
  if (c.first_scan_id == scan.id) return c.case_no;  // its own opening scan
  auto add = Prepare(db, "UPDATE problem_cases SET problem_scans = problem_scans + 1 WHERE id = ?1");
  if (!add.ok()) return add.status();
  add->Bind(1, c.id);
  if (Status s = add->Run(); !s.ok()) return s;
  std::string detail = "problem scan #" + std::to_string(scan.id) + ": " + ReasonText(scan.reason);
  if (scan.reason != c.reason) detail += " (the case is " + c.reason + ")";
  if (!scan.note.empty()) detail += "; note: " + scan.note;
  if (Status s = AddEvent(db, c.id, now_ms, ActorOf(scan), "scanned_again", detail); !s.ok()) return s;
  return c.case_no;
}

Result<bool> RecordResolutionScan(sql::Db& db, const ProblemSettings& settings, const ProblemScan& scan,
                                  std::int64_t now_ms) {
  auto answered = FindCase(db, "waybill = ?1 AND state = 'answered'", scan.waybill);
  if (!answered.ok()) return answered.status();
  if (!*answered) return false;
  const CaseRef& c = **answered;
  auto resolution = problems::ParseResolution(c.resolution);
  auto type = ParseScanType(scan.type);
  if (!resolution || !type || problems::CarriedOutBy(*resolution) != *type) return false;
  const std::string note = "resolution " + ResolutionText(c.resolution) + " carried out: " + scan.type + " scan #" +
                           std::to_string(scan.id) + " by " + ActorOf(scan);
  if (Status s = Close(db, settings, c, ActorOf(scan), note, scan.id, now_ms); !s.ok()) return s;
  return true;
}

Result<std::string> OpenCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& waybill,
                                    const std::string& reason, const std::string& note, const std::string& by,
                                    std::int64_t now_ms) {
  auto normal = NormalizeWaybill(waybill);
  if (!normal.ok()) return normal.status();
  if (!ParseProblemReason(reason)) {
    std::string known;
    for (int r = 0; r < kProblemReasonCount; ++r) known += std::string(r ? ", " : "") + ProblemReasonKey(static_cast<ProblemReason>(r));
    return Status::InvalidArgument("reason '" + reason + "'", "not a problem reason (" + known + ")");
  }
  if (by.empty()) return Status::InvalidArgument("by", "say who opens the case");
  // Stored as a scan, so the national system hears of it like any other.
  const std::string iso = FormatIsoInstant(now_ms);
  const std::string batch = "clerk-" + iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
  auto batch_row = Prepare(db,
                           "INSERT INTO batches (device, batch, courier, station, received_ms) VALUES ('CLERK', ?1, ?2, ?3, ?4)"
                           " ON CONFLICT (device, batch) DO NOTHING");
  if (!batch_row.ok()) return batch_row.status();
  batch_row->Bind(1, batch).Bind(2, by).Bind(3, settings.station).Bind(4, now_ms);
  if (Status s = batch_row->Run(); !s.ok()) return s;
  auto scan = Prepare(db,
                      "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, reason, note,"
                      " line) SELECT b.id, coalesce((SELECT max(seq) FROM scans WHERE batch_id = b.id), 0) + 1, ?2,"
                      " 'problem', ?3, ?4, ?4, ?5, ?6, 0 FROM batches b WHERE b.device = 'CLERK' AND b.batch = ?1");
  if (!scan.ok()) return scan.status();
  scan->Bind(1, batch).Bind(2, *normal).Bind(3, iso).Bind(4, now_ms).Bind(5, reason).BindTextOrNull(6, note);
  if (Status s = scan->Run(); !s.ok()) return s;
  ProblemScan problem;
  problem.id = db.LastInsertRowId();
  problem.waybill = *normal;
  problem.type = "problem";
  problem.reason = reason;
  problem.note = note;
  problem.courier = by;
  problem.device = "CLERK";
  return RecordProblemScan(db, settings, problem, now_ms);
}

Status CloseCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& case_no,
                        const std::string& note, const std::string& by, std::int64_t now_ms) {
  if (note.empty()) return Status::InvalidArgument("case " + case_no, "the note is empty: say why it is closed");
  auto found = FindCase(db, "case_no = ?1", case_no);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound("no problem case " + case_no);
  const CaseRef& c = **found;
  if (c.state == "closed") {
    return Status::Conflict("case " + case_no + " is already closed", "by " + c.closed_by + " on " + FormatIsoInstant(c.closed_ms));
  }
  return Close(db, settings, c, by, note, std::nullopt, now_ms);
}

Result<int> SendAlerts(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms) {
  // Cases opened before their parcel's manifest row came (a late sync, a
  // national lookup of a surplus parcel) learn their origin now.
  auto unknown = Prepare(db,
                         "SELECT c.id, m.origin_station FROM problem_cases c JOIN manifest m ON m.waybill = c.waybill"
                         " WHERE c.state = 'open' AND c.origin_station = '' AND m.origin_station != ''");
  if (!unknown.ok()) return unknown.status();
  std::vector<std::pair<std::int64_t, std::string>> found;
  if (Status s = unknown->ForEachRow([&](const sql::Stmt& r) { found.emplace_back(r.ColumnInt(0), r.ColumnText(1)); });
      !s.ok()) {
    return s;
  }
  for (const auto& [id, origin] : found) {
    auto set = Prepare(db, "UPDATE problem_cases SET origin_station = ?2 WHERE id = ?1");
    if (!set.ok()) return set.status();
    set->Bind(1, id).Bind(2, origin);
    if (Status s = set->Run(); !s.ok()) return s;
    if (Status s = AddEvent(db, id, now_ms, "stationd", "origin_found", "origin " + origin + " from the manifest");
        !s.ok()) {
      return s;
    }
  }
  auto open = Prepare(db,
                      "SELECT c.id, c.case_no, c.waybill, c.reason, c.origin_station, c.opened_ms, c.note, c.weight_g,"
                      " c.reference_weight_g, coalesce(c.suggestion, ''), c.answer_due_ms, c.problem_scans,"
                      " coalesce(m.recipient_phone, ''), coalesce(m.bag, '')"
                      " FROM problem_cases c LEFT JOIN manifest m ON m.waybill = c.waybill"
                      " WHERE c.state = 'open' AND c.origin_station != ''");
  if (!open.ok()) return open.status();
  struct Alert {
    std::int64_t id;
    std::string case_no, origin;
    json body;
  };
  std::vector<Alert> alerts;
  Status s = open->ForEachRow([&](const sql::Stmt& r) {
    json body = {{"type", kProblemAlert},      {"v", 1},
                 {"case", r.ColumnText(1)},    {"from", settings.station},
                 {"to", r.ColumnText(4)},      {"waybill", r.ColumnText(2)},
                 {"reason", r.ColumnText(3)},  {"opened_ms", r.ColumnInt(5)},
                 {"note", MaskPhonesIn(r.ColumnText(6))},  // a courier may have typed the number
                 {"answer_due_ms", r.ColumnInt(10)},
                 {"problem_scans", r.ColumnInt(11)},
                 // Masked: the origin knows its sender's parcel; the full number stays here (DESIGN §7).
                 {"recipient_phone", MaskPhone(r.ColumnText(12))},
                 {"bag", r.ColumnText(13)}};
    if (auto reason = ParseProblemReason(r.ColumnText(3))) {
      body["reason_label"] = ProblemReasonLabel(*reason);
      json usual = json::array();
      for (Resolution u : problems::UsualResolutions(*reason)) usual.push_back(problems::ResolutionKey(u));
      body["usual_resolutions"] = usual;
    }
    if (!r.ColumnIsNull(7)) body["weight_g"] = r.ColumnInt(7);
    if (!r.ColumnIsNull(8)) body["reference_weight_g"] = r.ColumnInt(8);
    if (!r.ColumnText(9).empty()) body["suggestion"] = r.ColumnText(9);
    alerts.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(4), std::move(body)});
  });
  if (!s.ok()) return s;
  auto notified = Prepare(db, "UPDATE problem_cases SET state = 'notified' WHERE id = ?1");
  if (!notified.ok()) return notified.status();
  for (const Alert& a : alerts) {
    if (Status st = Deliver(db, settings, "pa-" + a.case_no, a.origin, kProblemAlert, a.body, now_ms); !st.ok()) {
      return st;
    }
    notified->Reset();
    notified->Bind(1, a.id);
    if (Status st = notified->Run(); !st.ok()) return st;
    if (Status st = AddEvent(db, a.id, now_ms, "stationd", "notified", "alert sent to origin station " + a.origin);
        !st.ok()) {
      return st;
    }
  }
  return static_cast<int>(alerts.size());
}

Result<int> EscalateLateCases(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms) {
  auto late = Prepare(db,
                      "SELECT id, case_no, state, answer_due_ms, close_due_ms, answer_late, close_late, origin_station"
                      " FROM problem_cases WHERE state != 'closed' AND ((answer_late = 0 AND answer_due_ms < ?1"
                      " AND state IN ('open', 'notified')) OR (close_late = 0 AND close_due_ms < ?1))");
  if (!late.ok()) return late.status();
  late->Bind(1, now_ms);
  struct Late {
    std::int64_t id;
    std::string case_no, origin;
    bool answer, close;
  };
  std::vector<Late> cases;
  Status s = late->ForEachRow([&](const sql::Stmt& r) {
    const problems::CaseState state = r.ColumnText(2) == "answered" ? problems::CaseState::kAnswered
                                      : r.ColumnText(2) == "notified" ? problems::CaseState::kNotified
                                                                      : problems::CaseState::kOpen;
    const problems::Lateness l = problems::LateAt(state, {r.ColumnInt(3), r.ColumnInt(4)}, now_ms);
    cases.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(7), l.answer && r.ColumnInt(5) == 0,
                     l.close && r.ColumnInt(6) == 0});
  });
  if (!s.ok()) return s;
  auto mark = Prepare(db,
                      "UPDATE problem_cases SET answer_late = max(answer_late, ?2), close_late = max(close_late, ?3)"
                      " WHERE id = ?1");
  if (!mark.ok()) return mark.status();
  int escalated = 0;
  for (const Late& c : cases) {
    if (!c.answer && !c.close) continue;
    mark->Reset();
    mark->Bind(1, c.id).Bind(2, std::int64_t{c.answer}).Bind(3, std::int64_t{c.close});
    if (Status st = mark->Run(); !st.ok()) return st;
    const std::int64_t minutes = settings.deadlines.answer_within_ms / 60000;
    const std::int64_t hours = settings.deadlines.close_within_ms / 3600000;
    std::string detail;
    if (c.answer) {
      detail = "no answer from origin station " + (c.origin.empty() ? std::string("(unknown)") : c.origin) +
               " within " + std::to_string(minutes) + " min";
    }
    if (c.close) detail += std::string(detail.empty() ? "" : "; ") + "not closed within " + std::to_string(hours) + " h";
    if (Status st = AddEvent(db, c.id, now_ms, "stationd", "escalated", detail); !st.ok()) return st;
    spdlog::warn("problem case escalated case={} {}", c.case_no, detail);
    ++escalated;
  }
  return escalated;
}

Result<std::string> ApplyProblemMessage(sql::Db& db, const ProblemSettings& settings, const std::string& from,
                                        const std::string& kind, const std::string& body, std::int64_t now_ms) {
  const json j = json::parse(body, nullptr, false);
  const auto text = [&](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!j.is_object() || text("case").empty()) return std::string("not a ") + kind + " message (no case)";
  const std::string case_no = text("case");
  if (!text("to").empty() && text("to") != settings.station) return "addressed to " + text("to") + ", not to us";
  // A case number starts with the code of the station that opened it
  // (571001-20261201-0001); national vouches for `from`, so a station can
  // raise or close only its own cases, never take another station's number.
  if ((kind == kProblemAlert || kind == kProblemClosed) && case_no.rfind(from + "-", 0) != 0) {
    spdlog::warn("security: station {} sent a {} for case {}, which is not its own; ignored", from, kind, case_no);
    return "case " + case_no + " is not station " + from + "'s; ignored";
  }

  if (kind == kProblemAlert) {
    auto keep = Prepare(db,
                        "INSERT INTO problem_alerts (case_no, from_station, waybill, reason, body, received_ms, state)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'alerted') ON CONFLICT (case_no) DO NOTHING");
    if (!keep.ok()) return keep.status();
    keep->Bind(1, case_no).Bind(2, from).Bind(3, text("waybill")).Bind(4, text("reason")).Bind(5, body).Bind(6, now_ms);
    if (Status s = keep->Run(); !s.ok()) return s;
    return db.Changes() ? "alert for case " + case_no + " kept" : "alert for case " + case_no + " already held";
  }
  if (kind == kProblemClosed) {
    auto closed = Prepare(db,
                          "UPDATE problem_alerts SET state = 'closed', closed_ms = ?3 WHERE case_no = ?1 AND from_station = ?2");
    if (!closed.ok()) return closed.status();
    closed->Bind(1, case_no).Bind(2, from).Bind(3, now_ms);
    if (Status s = closed->Run(); !s.ok()) return s;
    return db.Changes() ? "case " + case_no + " closed at its station" : "no alert for case " + case_no;
  }
  if (kind != kProblemAnswer) return std::string("not a problem message");

  auto found = FindCase(db, "case_no = ?1", case_no);
  if (!found.ok()) return found.status();
  if (!*found) return "answer for unknown case " + case_no;
  const CaseRef& c = **found;
  if (c.state == "closed") return "answer for case " + case_no + ", closed already";
  if (from != c.origin) return "answer for case " + case_no + " from " + from + ", whose origin is " + c.origin;
  const std::string resolution = text("resolution");
  auto parsed = problems::ParseResolution(resolution);
  if (!parsed) return "answer for case " + case_no + " with unknown resolution '" + resolution + "'";
  if (c.state == "answered" && c.resolution == resolution) return "answer for case " + case_no + " already applied";
  auto answer = Prepare(db,
                        "UPDATE problem_cases SET state = 'answered', resolution = ?2, resolution_phone = ?3,"
                        " resolution_address = ?4, answer_note = ?5, answered_ms = ?6, answered_by = ?7 WHERE id = ?1");
  if (!answer.ok()) return answer.status();
  const std::string by = "station " + from + (text("by").empty() ? "" : " (" + text("by") + ")");
  answer->Bind(1, c.id).Bind(2, resolution).BindTextOrNull(3, text("phone")).BindTextOrNull(4, text("address"));
  answer->BindTextOrNull(5, text("note")).Bind(6, now_ms).Bind(7, by);
  if (Status s = answer->Run(); !s.ok()) return s;
  std::string detail = "resolution " + ResolutionText(resolution);
  if (!text("phone").empty()) detail += "; new phone " + MaskPhone(text("phone"));
  if (!text("address").empty()) detail += "; new address " + text("address");
  if (!text("note").empty()) detail += "; note: " + text("note");
  if (auto scan = problems::CarriedOutBy(*parsed)) {
    detail += std::string("; closes with the next ") + ScanTypeKey(*scan) + " scan";
  } else {
    detail += "; a clerk closes it";
  }
  const char* event = c.state == "answered" ? "answered_again" : "answered";
  if (Status s = AddEvent(db, c.id, now_ms, by, event, detail); !s.ok()) return s;
  spdlog::info("problem case answered case={} resolution={} from={}", case_no, resolution, from);
  return "case " + case_no + " answered: " + resolution;
}

Status AnswerAlert(sql::Db& db, const ProblemSettings& settings, const ProblemAnswer& answer, std::int64_t now_ms) {
  auto alert = Prepare(db,
                       "SELECT from_station, waybill, state, coalesce(resolution, ''), coalesce(answered_ms, 0),"
                       " coalesce(closed_ms, 0) FROM problem_alerts WHERE case_no = ?1");
  if (!alert.ok()) return alert.status();
  alert->Bind(1, answer.case_no);
  std::optional<std::string> from;
  std::string waybill, state, resolution;
  std::int64_t answered_ms = 0, closed_ms = 0;
  Status s = alert->ForEachRow([&](const sql::Stmt& r) {
    from = r.ColumnText(0);
    waybill = r.ColumnText(1);
    state = r.ColumnText(2);
    resolution = r.ColumnText(3);
    answered_ms = r.ColumnInt(4);
    closed_ms = r.ColumnInt(5);
  });
  if (!s.ok()) return s;
  if (!from) return Status::NotFound("no alert for case " + answer.case_no + " (stationctl alerts lists them)");
  if (state == "closed") {
    return Status::Conflict("case " + answer.case_no + " was closed by station " + *from, "on " + FormatIsoInstant(closed_ms));
  }
  if (state == "answered") {
    return Status::Conflict("case " + answer.case_no + " is already answered",
                            resolution + " on " + FormatIsoInstant(answered_ms));
  }
  auto parsed = problems::ParseResolution(answer.resolution);
  if (!parsed) {
    std::string known;
    for (int r = 0; r < problems::kResolutionCount; ++r) {
      known += std::string(r ? ", " : "") + problems::ResolutionKey(static_cast<Resolution>(r));
    }
    return Status::InvalidArgument("resolution '" + answer.resolution + "'", "not a resolution (" + known + ")");
  }
  if (*parsed == Resolution::kNewPhone && answer.phone.empty()) {
    return Status::InvalidArgument("new_phone", "needs the new number (--phone)");
  }
  if (!answer.phone.empty()) {
    const std::size_t digits_from = answer.phone[0] == '+' ? 1 : 0;
    const std::string_view digits = std::string_view(answer.phone).substr(digits_from);
    if (digits.size() < 7 || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return Status::InvalidArgument("phone '" + answer.phone + "'", "7 to 15 digits, a leading + allowed");
    }
  }
  if (*parsed == Resolution::kNewAddress && answer.address.empty()) {
    return Status::InvalidArgument("new_address", "needs the corrected address (--address)");
  }
  if (answer.by.empty()) return Status::InvalidArgument("by", "say who answers");
  json body = {{"type", kProblemAnswer},     {"v", 1},         {"case", answer.case_no},
               {"from", settings.station},   {"to", *from},    {"waybill", waybill},
               {"resolution", answer.resolution}, {"note", answer.note}, {"by", answer.by},
               {"answered_ms", now_ms}};
  // The new number goes in full to the station that needs it, for this case only (DESIGN §7).
  if (!answer.phone.empty()) body["phone"] = answer.phone;
  if (!answer.address.empty()) body["address"] = answer.address;
  if (Status st = Deliver(db, settings, "pans-" + answer.case_no + "-" + std::to_string(now_ms), *from, kProblemAnswer,
                          body, now_ms);
      !st.ok()) {
    return st;
  }
  auto mark = Prepare(db,
                      "UPDATE problem_alerts SET state = 'answered', resolution = ?2, answered_ms = ?3, answered_by = ?4"
                      " WHERE case_no = ?1");
  if (!mark.ok()) return mark.status();
  mark->Bind(1, answer.case_no).Bind(2, answer.resolution).Bind(3, now_ms).Bind(4, answer.by);
  return mark->Run();
}

}  // namespace station
