// ProblemStore, the reporting station's side: its cases, from the problem
// scan that opens one to the scan or clerk that closes it. The origin's
// side (alerts kept and answered) is in problem_store_origin.cc.

#include "daemon/desk/problem_store.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/iso_time.h"
#include "problems/resolution.h"
#include "scanner/identifiers.h"
#include "scanner/manifest.h"
#include "scanner/scan.h"

namespace station {
namespace {

using problems::Resolution;

std::string ReasonText(const std::string& key) {
  auto reason = ParseProblemReason(key);
  return reason ? key + " (" + ProblemReasonLabel(*reason) + ")" : key;
}

std::string ResolutionText(const std::string& key) {
  auto resolution = problems::ParseResolution(key);
  return resolution ? key + " (" + problems::ResolutionLabel(*resolution) + ")" : key;
}

std::string ActorOf(const ProblemScan& scan) { return scan.courier + "@" + scan.device; }

// "2026-12-01T08:00:00.000+08:00" -> "20261201": the day in station time.
std::string DayOf(const std::string& iso) { return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2); }

// The opening line of a case's audit trail, damaged parcel weighed or not.
std::string OpeningDetail(const ProblemScan& scan, const std::string& origin, const char* origin_how,
                          const std::optional<problems::DamageCheck>& damage,
                          const std::optional<std::int64_t>& reference, const char* reference_is) {
  std::string detail = "reason " + ReasonText(scan.reason) + "; origin " +
                       (origin.empty() ? std::string("unknown (no manifest row)") : origin + origin_how);
  if (damage) {
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
  return detail;
}

// What the origin station is told of an open case.
ProblemAlertMessage AlertOf(const CaseToAlert& c, const std::string& station) {
  ProblemAlertMessage a;
  a.case_no = c.case_no;
  a.from = station;
  a.to = c.origin;
  a.waybill = c.waybill;
  a.reason = c.reason;
  a.opened_ms = c.opened_ms;
  a.note = MaskPhonesIn(c.note);  // a courier may have typed the number
  a.answer_due_ms = c.answer_due_ms;
  a.problem_scans = c.problem_scans;
  // Masked: the origin knows its sender's parcel; the full number stays here (DESIGN §7).
  a.recipient_phone = MaskPhone(c.recipient_phone);
  a.bag = c.bag;
  if (auto reason = ParseProblemReason(c.reason)) {
    a.reason_label = ProblemReasonLabel(*reason);
    a.usual_resolutions.emplace();
    for (Resolution u : problems::UsualResolutions(*reason)) a.usual_resolutions->push_back(problems::ResolutionKey(u));
  }
  a.weight_g = c.weight_g;
  a.reference_weight_g = c.reference_weight_g;
  a.suggestion = c.suggestion;
  return a;
}

}  // namespace

ProblemStore::ProblemStore(sql::Db& db, ProblemSettings settings)
    : db_(db),
      settings_(std::move(settings)),
      sql_(db),
      post_(db, settings_.station, [this](const char* kind, const std::string& body, std::int64_t now_ms) {
        return ApplyProblemMessage(settings_.station, kind, body, now_ms);
      }) {}

Result<std::string> ProblemStore::NextCaseNo(std::int64_t now_ms) {
  // "571001-20261201-0007": the station, the day it opened (station time,
  // +08:00) and its number that day.
  const std::string prefix = settings_.station + "-" + DayOf(FormatIsoInstant(now_ms)) + "-";
  auto n = sql_.NextNumberOf(prefix);
  if (!n.ok()) return n.status();
  char number[24];
  std::snprintf(number, sizeof number, "%04lld", static_cast<long long>(*n));
  return prefix + number;
}

Result<std::string> ProblemStore::OpenCase(const ProblemScan& scan, std::int64_t now_ms) {
  auto facts = sql_.FactsOf(scan.waybill);
  if (!facts.ok()) return facts.status();
  const char* origin_how = "";
  if (facts->origin.empty() && scan.picked_up_here) {
    facts->origin = settings_.station;
    origin_how = " (picked up here)";
  }
  // The weight at pickup, measured, before the sender's declared one.
  const std::optional<std::int64_t> reference = scan.pickup_weight_g ? scan.pickup_weight_g : facts->declared_weight_g;
  const char* reference_is = scan.pickup_weight_g ? " g at pickup" : " g declared";
  auto case_no = NextCaseNo(now_ms);
  if (!case_no.ok()) return case_no.status();
  std::optional<problems::DamageCheck> damage;
  if (scan.reason == ProblemReasonKey(ProblemReason::kDamaged)) {
    damage = problems::CheckDamage(scan.weight_g, reference, settings_.damage);
  }
  const problems::Deadlines due = problems::DeadlinesFor(now_ms, settings_.deadlines);
  NewCase c;
  c.case_no = *case_no;
  c.waybill = scan.waybill;
  c.reason = scan.reason;
  c.origin = facts->origin;
  c.opened_by = ActorOf(scan);
  c.note = scan.note;
  c.first_scan_id = scan.id;
  c.opened_ms = now_ms;
  c.answer_due_ms = due.answer_due_ms;
  c.close_due_ms = due.close_due_ms;
  c.weight_g = scan.weight_g;
  c.reference_weight_g = reference;
  if (damage && damage->suggestion) c.suggestion = problems::ResolutionKey(*damage->suggestion);
  auto id = sql_.Insert(c);
  if (!id.ok()) return id.status();
  const std::string detail = OpeningDetail(scan, facts->origin, origin_how, damage, reference, reference_is);
  if (Status s = sql_.AddEvent(*id, now_ms, c.opened_by, "opened", detail); !s.ok()) return s;
  spdlog::info("problem case opened case={} waybill={} reason={} origin={}", *case_no, LogText(scan.waybill),
               LogText(scan.reason),
               facts->origin.empty() ? "unknown" : facts->origin);
  return case_no;
}

Result<std::string> ProblemStore::RecordProblemScan(const ProblemScan& scan, std::int64_t now_ms) {
  auto open = sql_.FindNotClosed(scan.waybill);
  if (!open.ok()) return open.status();
  if (!*open) return OpenCase(scan, now_ms);
  const CaseRow& c = **open;
  if (c.first_scan_id == scan.id) return c.case_no;  // its own opening scan
  if (Status s = sql_.CountProblemScan(c.id); !s.ok()) return s;
  std::string detail = "problem scan #" + std::to_string(scan.id) + ": " + ReasonText(scan.reason);
  if (scan.reason != c.reason) detail += " (the case is " + c.reason + ")";
  if (!scan.note.empty()) detail += "; note: " + scan.note;
  if (Status s = sql_.AddEvent(c.id, now_ms, ActorOf(scan), "scanned_again", detail); !s.ok()) return s;
  return c.case_no;
}

Result<bool> ProblemStore::RecordResolutionScan(const ProblemScan& scan, std::int64_t now_ms) {
  auto answered = sql_.FindAnswered(scan.waybill);
  if (!answered.ok()) return answered.status();
  if (!*answered || !CaseStateAfter((*answered)->state, CaseEvent::kCarriedOut)) return false;
  const CaseRow& c = **answered;
  auto resolution = problems::ParseResolution(c.resolution);
  auto type = ParseScanType(scan.type);
  if (!resolution || !type || problems::CarriedOutBy(*resolution) != *type) return false;
  const std::string note = "resolution " + ResolutionText(c.resolution) + " carried out: " + scan.type + " scan #" +
                           std::to_string(scan.id) + " by " + ActorOf(scan);
  if (Status s = Close(c, ActorOf(scan), note, scan.id, now_ms); !s.ok()) return s;
  return true;
}

// Closes `c` (by a scan when `scan_id` is set) and tells its origin.
Status ProblemStore::Close(const CaseRow& c, const std::string& by, const std::string& note,
                           std::optional<std::int64_t> scan_id, std::int64_t now_ms) {
  if (Status s = sql_.SetClosed(c.id, now_ms, by, note, scan_id); !s.ok()) return s;
  const std::string detail = scan_id ? note : "closed by hand (manual close): " + note;
  if (Status s = sql_.AddEvent(c.id, now_ms, by, "closed", detail); !s.ok()) return s;
  spdlog::info("problem case closed case={} by=\"{}\" how={}", LogText(c.case_no), LogText(by), scan_id ? "scan" : "clerk");
  if (c.origin.empty()) return Status::OK();
  const ProblemClosedMessage closed{c.case_no, settings_.station, c.origin, c.waybill, now_ms,
                                    scan_id ? "scan" : "clerk", c.resolution, scan_id ? note : MaskPhonesIn(note)};
  return post_.SendClosed(closed, now_ms);
}

Result<std::string> ProblemStore::OpenCaseByClerk(const std::string& waybill, const std::string& reason,
                                                  const std::string& note, const std::string& by,
                                                  std::int64_t now_ms) {
  auto normal = NormalizeWaybill(waybill);
  if (!normal.ok()) return normal.status();
  if (!ParseProblemReason(reason)) {
    std::string known;
    for (int r = 0; r < kProblemReasonCount; ++r) {
      known += std::string(r ? ", " : "") + ProblemReasonKey(static_cast<ProblemReason>(r));
    }
    return Status::InvalidArgument("reason '" + reason + "'", "not a problem reason (" + known + ")");
  }
  if (by.empty()) return Status::InvalidArgument("by", "say who opens the case");
  // Stored as a scan, so the national system hears of it like any other.
  const std::string iso = FormatIsoInstant(now_ms);
  const std::string batch = "clerk-" + DayOf(iso);
  if (Status s = sql_.AddClerkBatch(batch, by, settings_.station, now_ms); !s.ok()) return s;
  auto scan_id = sql_.AddClerkScan(batch, *normal, iso, now_ms, reason, note);
  if (!scan_id.ok()) return scan_id.status();
  ProblemScan problem;
  problem.id = *scan_id;
  problem.waybill = *normal;
  problem.type = "problem";
  problem.reason = reason;
  problem.note = note;
  problem.courier = by;
  problem.device = "CLERK";
  return RecordProblemScan(problem, now_ms);
}

Status ProblemStore::CloseCaseByClerk(const std::string& case_no, const std::string& note, const std::string& by,
                                      std::int64_t now_ms) {
  if (note.empty()) return Status::InvalidArgument("case " + case_no, "the note is empty: say why it is closed");
  auto found = sql_.FindByNumber(case_no);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound("no problem case " + case_no);
  const CaseRow& c = **found;
  if (!CaseStateAfter(c.state, CaseEvent::kClosedByClerk)) {
    return Status::Conflict("case " + case_no + " is already closed",
                            "by " + c.closed_by + " on " + FormatIsoInstant(c.closed_ms));
  }
  return Close(c, by, note, std::nullopt, now_ms);
}

// Cases opened before their parcel's manifest row came (a late sync, a
// national lookup of a surplus parcel) learn their origin now.
Status ProblemStore::LearnOrigins(std::int64_t now_ms) {
  auto found = sql_.OriginsFound();
  if (!found.ok()) return found.status();
  for (const auto& [id, origin] : *found) {
    if (Status s = sql_.SetOrigin(id, origin); !s.ok()) return s;
    if (Status s = sql_.AddEvent(id, now_ms, "stationd", "origin_found", "origin " + origin + " from the manifest");
        !s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

Result<int> ProblemStore::SendAlerts(std::int64_t now_ms) {
  if (Status s = LearnOrigins(now_ms); !s.ok()) return s;
  auto cases = sql_.CasesToAlert();  // open ones
  if (!cases.ok()) return cases.status();
  const CaseState notified = *CaseStateAfter(CaseState::kOpen, CaseEvent::kAlertSent);
  for (const CaseToAlert& c : *cases) {
    if (Status s = post_.SendAlert(AlertOf(c, settings_.station), now_ms); !s.ok()) return s;
    if (Status s = sql_.SetState(c.id, notified); !s.ok()) return s;
    if (Status s = sql_.AddEvent(c.id, now_ms, "stationd", "notified", "alert sent to origin station " + c.origin);
        !s.ok()) {
      return s;
    }
  }
  return static_cast<int>(cases->size());
}

Result<int> ProblemStore::EscalateLateCases(std::int64_t now_ms) {
  auto cases = sql_.LateCases(now_ms);
  if (!cases.ok()) return cases.status();
  const std::int64_t minutes = settings_.deadlines.answer_within_ms / 60000;
  const std::int64_t hours = settings_.deadlines.close_within_ms / 3600000;
  int escalated = 0;
  for (const LateCase& c : *cases) {
    const problems::Lateness late = problems::LateAt(c.state, {c.answer_due_ms, c.close_due_ms}, now_ms);
    const bool answer = late.answer && !c.answer_marked, close = late.close && !c.close_marked;
    if (!answer && !close) continue;
    if (Status s = sql_.MarkLate(c.id, answer, close); !s.ok()) return s;
    std::string detail;
    if (answer) {
      detail = "no answer from origin station " + (c.origin.empty() ? std::string("(unknown)") : c.origin) +
               " within " + std::to_string(minutes) + " min";
    }
    if (close) detail += std::string(detail.empty() ? "" : "; ") + "not closed within " + std::to_string(hours) + " h";
    if (Status s = sql_.AddEvent(c.id, now_ms, "stationd", "escalated", detail); !s.ok()) return s;
    spdlog::warn("problem case escalated case={} {}", LogText(c.case_no), LogText(detail));
    ++escalated;
  }
  return escalated;
}

Result<std::string> ProblemStore::ApplyAnswer(const std::string& from, const ProblemAnswerMessage& m,
                                              std::int64_t now_ms) {
  const std::string& case_no = m.case_no;
  auto found = sql_.FindByNumber(case_no);
  if (!found.ok()) return found.status();
  if (!*found) return "answer for unknown case " + case_no;
  const CaseRow& c = **found;
  if (!CaseStateAfter(c.state, CaseEvent::kAnswered)) return "answer for case " + case_no + ", closed already";
  if (from != c.origin) return "answer for case " + case_no + " from " + from + ", whose origin is " + c.origin;
  auto parsed = problems::ParseResolution(m.resolution);
  if (!parsed) return "answer for case " + case_no + " with unknown resolution '" + m.resolution + "'";
  const bool again = c.state == CaseState::kAnswered;
  if (again && c.resolution == m.resolution) return "answer for case " + case_no + " already applied";
  const std::string by = "station " + from + (m.by.empty() ? "" : " (" + m.by + ")");
  if (Status s = sql_.SetAnswer(c.id, {m.resolution, m.phone, m.address, m.note, by, now_ms}); !s.ok()) return s;
  std::string detail = "resolution " + ResolutionText(m.resolution);
  if (!m.phone.empty()) detail += "; new phone " + MaskPhone(m.phone);
  if (!m.address.empty()) detail += "; new address " + m.address;
  if (!m.note.empty()) detail += "; note: " + m.note;
  if (auto scan = problems::CarriedOutBy(*parsed)) {
    detail += std::string("; closes with the next ") + ScanTypeKey(*scan) + " scan";
  } else {
    detail += "; a clerk closes it";
  }
  if (Status s = sql_.AddEvent(c.id, now_ms, by, again ? "answered_again" : "answered", detail); !s.ok()) return s;
  spdlog::info("problem case answered case={} resolution={} from={}", LogText(case_no), LogText(m.resolution),
               LogText(from));
  return "case " + case_no + " answered: " + m.resolution;
}

Result<std::string> OpenCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& waybill,
                                    const std::string& reason, const std::string& note, const std::string& by,
                                    std::int64_t now_ms) {
  return ProblemStore(db, settings).OpenCaseByClerk(waybill, reason, note, by, now_ms);
}

Status CloseCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& case_no,
                        const std::string& note, const std::string& by, std::int64_t now_ms) {
  return ProblemStore(db, settings).CloseCaseByClerk(case_no, note, by, now_ms);
}

Status AnswerAlert(sql::Db& db, const ProblemSettings& settings, const ProblemAnswer& answer, std::int64_t now_ms) {
  return ProblemStore(db, settings).AnswerAlert(answer, now_ms);
}

}  // namespace station
