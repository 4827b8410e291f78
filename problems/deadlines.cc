#include "problems/deadlines.h"

namespace station::problems {

const char* CaseStateKey(CaseState state) {
  switch (state) {
    case CaseState::kOpen:
      return "open";
    case CaseState::kNotified:
      return "notified";
    case CaseState::kAnswered:
      return "answered";
    case CaseState::kClosed:
      return "closed";
  }
  return "?";
}

Deadlines DeadlinesFor(std::int64_t opened_ms, const DeadlinePolicy& policy) {
  return {opened_ms + policy.answer_within_ms, opened_ms + policy.close_within_ms};
}

Lateness LateAt(CaseState state, const Deadlines& deadlines, std::int64_t now_ms) {
  Lateness late;
  if (state == CaseState::kClosed) return late;
  late.answer = (state == CaseState::kOpen || state == CaseState::kNotified) && now_ms > deadlines.answer_due_ms;
  late.close = now_ms > deadlines.close_due_ms;
  return late;
}

}  // namespace station::problems
