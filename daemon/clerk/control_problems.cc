// The clerk's problem commands (issue 5), served by ControlServer on the
// ingest thread: problem_open and problem_close at the station that holds
// the parcel, problem_answer at its origin station. Each is one short
// transaction on the connection that commits the scans.

#include <spdlog/spdlog.h>

#include "daemon/clerk/clerk_text.h"
#include "daemon/clerk/control_server.h"
#include "daemon/desk/problem_store.h"

namespace station {
namespace {

// The request's note and name as they will be kept, or what is wrong.
Status CheckClerkText(ControlRequest& request, bool note_required) {
  const std::string what = request.case_no.empty() ? request.cmd : "case " + request.case_no;
  request.note = std::string(TrimBlanks(request.note));
  request.by = std::string(TrimBlanks(request.by));
  if (note_required && request.note.empty()) return Status::InvalidArgument(what, "the note is empty: say why");
  if (request.note.size() > kMaxNoteBytes) {
    return Status::InvalidArgument(what, "the note has " + std::to_string(request.note.size()) + " bytes; at most " +
                                             std::to_string(kMaxNoteBytes) + " are kept");
  }
  if (request.by.empty()) return Status::InvalidArgument(what, "who does it (\"by\") is empty");
  if (request.by.size() > kMaxClerkNameBytes) {
    return Status::InvalidArgument(what, "\"by\" is longer than " + std::to_string(kMaxClerkNameBytes) + " bytes");
  }
  return Status::OK();
}

// The case as it stands now, for the reply.
Result<ProblemReply> ReadCase(sql::Db& db, const std::string& case_no, const std::string& action) {
  auto read = sql::Stmt::Prepare(db, "SELECT waybill, state, origin_station, problem_scans FROM problem_cases WHERE case_no = ?1");
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

}  // namespace

std::string ControlServer::HandleProblem(const ControlRequest& original) {
  if (!problem_desk_) return EncodeControlError(original.req, Status::Unavailable("problem desk", "not running"));
  ControlRequest request = original;
  const std::int64_t now_ms = problem_desk_->clock().NowMs();
  sql::Db& db = store_.db();
  Result<ProblemReply> reply = Status::InvalidArgument("unknown command '" + request.cmd.substr(0, 40) + "'");
  if (request.cmd == "problem_open") {
    if (Status s = CheckClerkText(request, false); !s.ok()) return EncodeControlError(request.req, s);
    reply = InTransaction(db, [&]() -> Result<ProblemReply> {
      auto case_no = OpenCaseByClerk(db, problem_settings_, request.waybill, request.reason, request.note, request.by, now_ms);
      if (!case_no.ok()) return case_no.status();
      return ReadCase(db, *case_no, "opened");
    });
  } else if (request.cmd == "problem_close") {
    if (Status s = CheckClerkText(request, true); !s.ok()) return EncodeControlError(request.req, s);
    reply = InTransaction(db, [&]() -> Result<ProblemReply> {
      if (Status s = CloseCaseByClerk(db, problem_settings_, request.case_no, request.note, request.by, now_ms); !s.ok()) {
        return s;
      }
      return ReadCase(db, request.case_no, "closed");
    });
  } else if (request.cmd == "problem_answer") {
    if (Status s = CheckClerkText(request, false); !s.ok()) return EncodeControlError(request.req, s);
    request.phone = std::string(TrimBlanks(request.phone));
    request.address = std::string(TrimBlanks(request.address));
    if (request.address.size() > kMaxNoteBytes) {
      return EncodeControlError(request.req, Status::InvalidArgument("case " + request.case_no, "the address is too long"));
    }
    reply = InTransaction(db, [&]() -> Result<ProblemReply> {
      const ProblemAnswer answer{request.case_no, request.resolution, request.phone, request.address, request.note,
                                 request.by};
      if (Status s = AnswerAlert(db, problem_settings_, answer, now_ms); !s.ok()) return s;
      ProblemReply answered;
      answered.case_no = request.case_no;
      answered.state = "answered";
      answered.action = "answered";
      return answered;
    });
  }
  if (!reply.ok()) {
    const Code code = reply.status().code();
    if (code == Code::kInvalidArgument || code == Code::kNotFound || code == Code::kConflict) {
      return EncodeControlError(request.req, reply.status());
    }
    spdlog::error("{} not stored case={} error=\"{}\"", request.cmd, request.case_no, reply.status().ToString());
    return EncodeControlError(request.req, Status::Unavailable("storage failed, retry later", reply.status().message()));
  }
  spdlog::info("{} case={} by=\"{}\"", request.cmd, reply->case_no, request.by);
  problem_desk_->Wake();  // sends the alert, or applies what follows, at once
  if (uplink_) uplink_->Wake();
  return EncodeProblemReply(request.req, *reply);
}

}  // namespace station
