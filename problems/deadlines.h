#pragma once
// A problem case's deadlines (DESIGN §4, field practice, configurable):
// the origin station's first answer within an hour of the case opening,
// the case closed within 24 hours. A case past one is escalated: shown as
// overdue and written in its audit trail, once for each deadline.

#include <cstdint>

namespace station::problems {

struct DeadlinePolicy {
  std::int64_t answer_within_ms = 3600LL * 1000;
  std::int64_t close_within_ms = 24 * 3600LL * 1000;
};

enum class CaseState { kOpen, kNotified, kAnswered, kClosed };
inline constexpr int kCaseStateCount = 4;
const char* CaseStateKey(CaseState state);  // "open", "notified", "answered", "closed"

struct Deadlines {
  std::int64_t answer_due_ms = 0;
  std::int64_t close_due_ms = 0;
};

Deadlines DeadlinesFor(std::int64_t opened_ms, const DeadlinePolicy& policy);

// Which deadlines a case in `state` has missed at `now_ms`. The answer
// deadline only counts while no answer has come.
struct Lateness {
  bool answer = false;
  bool close = false;
  bool any() const { return answer || close; }
};
Lateness LateAt(CaseState state, const Deadlines& deadlines, std::int64_t now_ms);

}  // namespace station::problems
