#include "daemon/desk/problem_post.h"

#include <spdlog/spdlog.h>

#include "core/log_text.h"

namespace station {

Status ProblemPost::SendAlert(const ProblemAlertMessage& alert, std::int64_t now_ms) {
  return Send("pa-" + alert.case_no, alert.to, kProblemAlert, EncodeProblemAlert(alert), now_ms);
}

Status ProblemPost::SendClosed(const ProblemClosedMessage& closed, std::int64_t now_ms) {
  return Send("pc-" + closed.case_no, closed.to, kProblemClosed, EncodeProblemClosed(closed), now_ms);
}

Status ProblemPost::SendAnswer(const ProblemAnswerMessage& answer, std::int64_t now_ms) {
  return Send("pans-" + answer.case_no + "-" + std::to_string(answer.answered_ms), answer.to, kProblemAnswer,
              EncodeProblemAnswer(answer), now_ms);
}

Status ProblemPost::Send(const std::string& msg_id, const std::string& to, const char* kind, const std::string& body,
                         std::int64_t now_ms) {
  if (to == station_) {
    auto applied = apply_here_(kind, body, now_ms);
    if (!applied.ok()) return applied.status();
    spdlog::info("problem message to this station kind={}: {}", LogText(kind), LogText(*applied));
    return Status::OK();
  }
  // An id already queued is the same message, queued before: nothing to add.
  auto queued = outbox_.Queue({msg_id, to, kind, body}, now_ms);
  return queued.ok() ? Status::OK() : queued.status();
}

}  // namespace station
