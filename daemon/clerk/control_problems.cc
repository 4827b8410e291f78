// The clerk's problem commands (issue 5), served by ControlServer on the
// ingest thread: problem_open and problem_close at the station that holds
// the parcel, problem_answer at its origin station. Each is one short
// transaction on the connection that commits the scans.

#include <spdlog/spdlog.h>

#include "daemon/clerk/clerk_text.h"
#include "core/log_text.h"
#include "daemon/clerk/control_server.h"
#include "daemon/desk/problem_store.h"

namespace station {
namespace {

// The request's note and name as they will be kept, or what is wrong.
Status CheckProblemText(ControlRequest& request, bool note_required) {
  const std::string what = request.case_no.empty() ? request.cmd : "case " + request.case_no;
  ClerkTextRule rule;
  rule.note_required = note_required;
  return CheckClerkText(what, rule, request.note, request.by);
}

// The case as it stands now, for the reply.
Result<ProblemReply> ReadCase(sql::Db& db, const std::string& case_no, const std::string& action) {
  auto read = sql::Stmt::Prepare(
      db, "SELECT waybill, state, origin_station, problem_scans FROM problem_cases WHERE case_no = ?1");
  if (!read.ok()) return read.status();
  read->Bind(1, case_no);
  ProblemReply reply;
  reply.case_no = case_no;
  reply.action = action;
  Status s = read->ForEachRow([&](const sql::Stmt& r) {
    reply.waybill = r.ColumnText(0);
    reply.state = r.ColumnText(1);
    reply.origin_station = r.ColumnText(2);
    if (action == "opened" && r.ColumnInt(3) > 1) reply.action = "added";
  });
  if (!s.ok()) return s;
  return reply;
}

// Runs `write` in one transaction; the case it names afterwards.
template <typename Write>
Result<ProblemReply> InTransaction(sql::Db& db, Write write) {
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  Result<ProblemReply> reply = write();
  if (!reply.ok()) return reply;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return reply;
}

Status DeskNotRunning() { return Status::Unavailable("problem desk", "not running"); }

}  // namespace

std::string ControlServer::OpenProblem(const ControlRequest& original, Body) {
  if (!services_.problem_desk) return EncodeControlError(original.req, DeskNotRunning());
  const std::int64_t now_ms = services_.problem_desk->clock().NowMs();
  ControlRequest request = original;
  if (Status s = CheckProblemText(request, false); !s.ok()) return EncodeControlError(request.req, s);
  sql::Db& db = store_.db();
  const auto opened = InTransaction(db, [&]() -> Result<ProblemReply> {
    auto case_no =
        OpenCaseByClerk(db, services_.problem_settings, request.waybill, request.reason, request.note, request.by, now_ms);
    if (!case_no.ok()) return case_no.status();
    return ReadCase(db, *case_no, "opened");
  });
  return ProblemDone(request, opened);
}

std::string ControlServer::CloseProblem(const ControlRequest& original, Body) {
  if (!services_.problem_desk) return EncodeControlError(original.req, DeskNotRunning());
  const std::int64_t now_ms = services_.problem_desk->clock().NowMs();
  ControlRequest request = original;
  if (Status s = CheckProblemText(request, true); !s.ok()) return EncodeControlError(request.req, s);
  sql::Db& db = store_.db();
  const auto closed = InTransaction(db, [&]() -> Result<ProblemReply> {
    Status s = CloseCaseByClerk(db, services_.problem_settings, request.case_no, request.note, request.by, now_ms);
    if (!s.ok()) return s;
    return ReadCase(db, request.case_no, "closed");
  });
  return ProblemDone(request, closed);
}

std::string ControlServer::AnswerProblem(const ControlRequest& original, Body) {
  if (!services_.problem_desk) return EncodeControlError(original.req, DeskNotRunning());
  const std::int64_t now_ms = services_.problem_desk->clock().NowMs();
  ControlRequest request = original;
  if (Status s = CheckProblemText(request, false); !s.ok()) return EncodeControlError(request.req, s);
  request.phone = std::string(TrimBlanks(request.phone));
  request.address = std::string(TrimBlanks(request.address));
  if (request.address.size() > kMaxNoteBytes) {
    return EncodeControlError(request.req, Status::InvalidArgument("case " + request.case_no, "the address is too long"));
  }
  sql::Db& db = store_.db();
  const auto answered = InTransaction(db, [&]() -> Result<ProblemReply> {
    const ProblemAnswer answer{request.case_no, request.resolution, request.phone,
                               request.address, request.note,       request.by};
    if (Status s = AnswerAlert(db, services_.problem_settings, answer, now_ms); !s.ok()) return s;
    ProblemReply reply;
    reply.case_no = request.case_no;
    reply.state = "answered";
    reply.action = "answered";
    return reply;
  });
  return ProblemDone(request, answered);
}

// The reply to a problem command that got as far as its transaction: the
// case, or the refusal, or "retry later" when storage failed.
std::string ControlServer::ProblemDone(const ControlRequest& request, const Result<ProblemReply>& reply) {
  if (!reply.ok()) {
    const Code code = reply.status().code();
    if (code == Code::kInvalidArgument || code == Code::kNotFound || code == Code::kConflict) {
      return EncodeControlError(request.req, reply.status());
    }
    spdlog::error("{} not stored case={} error=\"{}\"", LogText(request.cmd), LogText(request.case_no),
                  LogText(reply.status().ToString()));
    return EncodeControlError(request.req,
                              Status::Unavailable("storage failed, retry later", reply.status().message()));
  }
  spdlog::info("{} case={} by=\"{}\"", LogText(request.cmd), LogText(reply->case_no), LogText(request.by));
  services_.problem_desk->Wake();  // sends the alert, or applies what follows, at once
  if (services_.uplink) services_.uplink->Wake();
  return EncodeProblemReply(request.req, *reply);
}

}  // namespace station
