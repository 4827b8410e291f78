// ProblemStore: the problem messages that come in from other stations (the
// checks every kind passes), and the origin station's side: the alerts it
// keeps, the closes it hears of, and its clerk's answers. The reporting
// station's side is in problem_store.cc.

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/log_text.h"
#include "daemon/desk/problem_store.h"
#include "problems/resolution.h"

namespace station {
namespace {

using problems::Resolution;

// Why a message of `kind` from station `from` cannot apply at `station`,
// whatever its kind's own rules say; nullopt when it may.
// An alert or a close may only be about the sender's own case.
template <typename Message>
std::optional<std::string> Refusal(const Result<Message>& m, const char* kind, const std::string& from,
                                   const std::string& station, bool own_case_only) {
  if (!m.ok()) return std::string("not a ") + kind + " message (no case)";
  if (!m->to.empty() && m->to != station) return "addressed to " + m->to + ", not to us";
  // A case number starts with the code of the station that opened it
  // (571001-20261201-0001); national vouches for `from`, so a station can
  // raise or close only its own cases, never take another station's number.
  if (own_case_only && m->case_no.rfind(from + "-", 0) != 0) {
    spdlog::warn("security: station {} sent a {} for case {}, which is not its own; ignored", LogText(from), kind,
                 LogText(m->case_no));
    return "case " + m->case_no + " is not station " + from + "'s; ignored";
  }
  return std::nullopt;
}

// A clerk's answer as the origin sends it, or why it is not one.
Status CheckAnswer(const ProblemAnswer& answer) {
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
  return Status::OK();
}

}  // namespace

Result<std::string> ProblemStore::ApplyProblemMessage(const std::string& from, const std::string& kind,
                                                      const std::string& body, std::int64_t now_ms) {
  if (kind == kProblemAlert) {
    auto alert = DecodeProblemAlert(body);
    if (auto refused = Refusal(alert, kProblemAlert, from, settings_.station, true)) return *refused;
    return KeepAlert(from, *alert, body, now_ms);
  }
  if (kind == kProblemClosed) {
    auto closed = DecodeProblemClosed(body);
    if (auto refused = Refusal(closed, kProblemClosed, from, settings_.station, true)) return *refused;
    return CloseAlert(from, *closed, now_ms);
  }
  if (kind == kProblemAnswer) {
    auto answer = DecodeProblemAnswer(body);
    if (auto refused = Refusal(answer, kProblemAnswer, from, settings_.station, false)) return *refused;
    return ApplyAnswer(from, *answer, now_ms);
  }
  return std::string("not a problem message");
}

Result<std::string> ProblemStore::KeepAlert(const std::string& from, const ProblemAlertMessage& alert,
                                            const std::string& body, std::int64_t now_ms) {
  // Kept as it came: stationctl alerts shows what the reporting station said.
  auto kept = sql_.KeepAlert(alert.case_no, from, alert.waybill, alert.reason, body, now_ms);
  if (!kept.ok()) return kept.status();
  return *kept ? "alert for case " + alert.case_no + " kept" : "alert for case " + alert.case_no + " already held";
}

Result<std::string> ProblemStore::CloseAlert(const std::string& from, const ProblemClosedMessage& closed,
                                             std::int64_t now_ms) {
  auto changed = sql_.CloseAlert(closed.case_no, from, now_ms);
  if (!changed.ok()) return changed.status();
  return *changed ? "case " + closed.case_no + " closed at its station" : "no alert for case " + closed.case_no;
}

Status ProblemStore::AnswerAlert(const ProblemAnswer& answer, std::int64_t now_ms) {
  auto alert = sql_.FindAlert(answer.case_no);
  if (!alert.ok()) return alert.status();
  if (!*alert) return Status::NotFound("no alert for case " + answer.case_no + " (stationctl alerts lists them)");
  const HeldAlert& held = **alert;
  if (held.state == AlertState::kClosed) {
    return Status::Conflict("case " + answer.case_no + " was closed by station " + held.from,
                            "on " + FormatIsoInstant(held.closed_ms));
  }
  if (!AlertStateAfter(held.state, AlertEvent::kAnswered)) {
    return Status::Conflict("case " + answer.case_no + " is already answered",
                            held.resolution + " on " + FormatIsoInstant(held.answered_ms));
  }
  if (Status s = CheckAnswer(answer); !s.ok()) return s;
  ProblemAnswerMessage m;
  m.case_no = answer.case_no;
  m.from = settings_.station;
  m.to = held.from;
  m.waybill = held.waybill;
  m.resolution = answer.resolution;
  // The new number goes in full to the station that needs it, for this case only (DESIGN §7).
  m.phone = answer.phone;
  m.address = answer.address;
  m.note = answer.note;
  m.by = answer.by;
  m.answered_ms = now_ms;
  if (Status s = post_.SendAnswer(m, now_ms); !s.ok()) return s;
  return sql_.MarkAlertAnswered(answer.case_no, answer.resolution, now_ms, answer.by);
}

}  // namespace station
