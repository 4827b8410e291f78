#include "daemon/desk/case_state.h"

namespace station {

std::optional<CaseState> ParseCaseState(std::string_view key) {
  for (int i = 0; i < problems::kCaseStateCount; ++i) {
    const auto state = static_cast<CaseState>(i);
    if (key == problems::CaseStateKey(state)) return state;
  }
  return std::nullopt;
}

std::optional<CaseState> CaseStateAfter(CaseState state, CaseEvent event) {
  switch (event) {
    case CaseEvent::kAlertSent:
      if (state == CaseState::kOpen) return CaseState::kNotified;
      return std::nullopt;
    case CaseEvent::kAnswered:
      if (state == CaseState::kClosed) return std::nullopt;
      return CaseState::kAnswered;
    case CaseEvent::kCarriedOut:
      if (state == CaseState::kAnswered) return CaseState::kClosed;
      return std::nullopt;
    case CaseEvent::kClosedByClerk:
      if (state == CaseState::kClosed) return std::nullopt;
      return CaseState::kClosed;
  }
  return std::nullopt;
}

const char* AlertStateKey(AlertState state) {
  switch (state) {
    case AlertState::kAlerted:
      return "alerted";
    case AlertState::kAnswered:
      return "answered";
    case AlertState::kClosed:
      return "closed";
  }
  return "?";
}

std::optional<AlertState> ParseAlertState(std::string_view key) {
  for (AlertState state : {AlertState::kAlerted, AlertState::kAnswered, AlertState::kClosed}) {
    if (key == AlertStateKey(state)) return state;
  }
  return std::nullopt;
}

std::optional<AlertState> AlertStateAfter(AlertState state, AlertEvent event) {
  switch (event) {
    case AlertEvent::kAnswered:
      if (state == AlertState::kAlerted) return AlertState::kAnswered;
      return std::nullopt;
    case AlertEvent::kClosed:
      return AlertState::kClosed;  // whatever came before: the case is over
  }
  return std::nullopt;
}

}  // namespace station
