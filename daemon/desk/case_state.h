#pragma once
// The states of a problem case and of an alert, and the moves between
// them, written once (DESIGN §4; schema migration 6). The keys stored in
// station.db and shown to clerks are problems::CaseStateKey's and
// AlertStateKey's.
//
// A case, at the reporting station:
//   open --alert sent--> notified --answer--> answered --scan--> closed
//   An answer applies in any state but closed (this station's own alert is
//   answered before it was ever sent out), and a second answer replaces the
//   first. Only the scan that carries an answered case's resolution out
//   closes it by scan; a clerk may close it in any state but closed.
// An alert, at the origin station:
//   alerted --answer--> answered; alerted | answered --closed--> closed
//   A clerk answers an alert once, and never after its case closed.

#include <optional>
#include <string_view>

#include "problems/deadlines.h"

namespace station {

using problems::CaseState;

// The state a key names; nullopt for a key that is none.
std::optional<CaseState> ParseCaseState(std::string_view key);

enum class CaseEvent {
  kAlertSent,      // the alert went to the origin station
  kAnswered,       // the origin's answer was applied
  kCarriedOut,     // a scan carried the answer's resolution out
  kClosedByClerk,  // a clerk closed it by hand, with a note
};
// The state a case in `state` moves to on `event`; nullopt when the event
// does not apply to a case in that state.
std::optional<CaseState> CaseStateAfter(CaseState state, CaseEvent event);

enum class AlertState { kAlerted, kAnswered, kClosed };
const char* AlertStateKey(AlertState state);  // "alerted", "answered", "closed"
std::optional<AlertState> ParseAlertState(std::string_view key);

enum class AlertEvent {
  kAnswered,  // this station's clerk answered it
  kClosed,    // the reporting station closed its case
};
std::optional<AlertState> AlertStateAfter(AlertState state, AlertEvent event);

}  // namespace station
